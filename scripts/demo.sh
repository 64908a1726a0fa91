#!/usr/bin/env bash
# The demo: a Wagtail site with Masa, a seeded store and rules, signed Saleor orders sent over
# HTTP, the reminders they schedule, and the thank-you emails actually sent.
# SQLite and in-process tasks: nothing else to install. MASA_DEMO_ONCE=1 exits after the email.
set -euo pipefail
cd "$(dirname "$0")/../example"
PY=../.venv/bin/python
PORT=${PORT:-8000}
export MASA_SALEOR_DOMAIN="127.0.0.1:$PORT" MASA_SALEOR_API_URL="http://127.0.0.1:$PORT/graphql/"
export WAGTAILADMIN_BASE_URL="http://127.0.0.1:$PORT" MASA_PUBLIC_URL="http://127.0.0.1:$PORT" MASA_DEMO_STORE=1
mkdir -p .demo
# The example site has no key of its own (none is published): the demo makes one, once, and runs with DEBUG on.
[ -s .demo/secret_key ] || $PY -c "import secrets; print(secrets.token_urlsafe(50))" >.demo/secret_key
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-$(cat .demo/secret_key)}" DJANGO_DEBUG="${DJANGO_DEBUG:-1}"

# Ctrl-C (or SIGTERM) stops the site and the worker (which finishes the step in hand) and ends the
# demo with status 0. Background jobs of a script ignore Ctrl-C: they are stopped here, with SIGTERM.
server="" worker=""
stop() {
  trap - INT TERM
  kill -TERM $server $worker 2>/dev/null || true
  wait $server $worker 2>/dev/null || true
  echo; echo "Masa demo stopped."
  exit 0
}
trap stop INT TERM
trap 'kill $server $worker 2>/dev/null || true' EXIT

$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo
$PY manage.py runserver "127.0.0.1:$PORT" --noreload >.demo/server.log 2>&1 &
server=$!
# The worker a site runs without a broker (docs/deploy.md): it sends what falls due, within a second.
$PY manage.py masa_worker >.demo/worker.log 2>&1 &
worker=$!

for _ in $(seq 60); do
  $PY -c "import httpx,sys; httpx.get('http://127.0.0.1:$PORT/admin/login/')" 2>/dev/null && break
  sleep 0.5
done

echo; echo "Replaying signed Saleor webhooks from the demo store:"
$PY manage.py demo_replay --url "http://127.0.0.1:$PORT"

cat <<INFO

Masa demo is running.
  Wagtail admin:   http://127.0.0.1:$PORT/admin/   login: admin / masa-demo (or editor / viewer, same password)
  Webhook URL:     http://127.0.0.1:$PORT/masa/webhooks/saleor/
  Sent emails:     example/.demo/worker.log (the thank-you notes go out within seconds)
INFO

if [ -n "${MASA_DEMO_ONCE:-}" ]; then
  for _ in $(seq 40); do grep -q "Thank you" .demo/worker.log && break; sleep 3; done
  grep -A3 "Subject: Thank you" .demo/worker.log | head -8
  grep -q "Thank you" .demo/worker.log
  exit 0
fi
echo "Press Ctrl-C to stop."
# On a terminal, job control makes the wait below a foreground job of its own: the terminal's
# Ctrl-C reaches it and this script only, not `make` (which would end with 130 whatever the script
# did). An interrupted job abandons the command it is in, so these stay top-level commands.
[ -t 0 ] && set -m
tail --pid="$server" -f /dev/null || true
kill -0 "$server" 2>/dev/null && stop
echo "The site stopped by itself: see example/.demo/server.log." >&2
exit 1
