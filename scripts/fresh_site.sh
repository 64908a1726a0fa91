#!/usr/bin/env bash
# The README's install section, run as written, in a brand-new `wagtail start` site outside the
# repository (CI runs it on Python 3.11 and 3.13): build the wheel and the engine's sdist, install
# the built wheel (not this checkout) into a new virtualenv, add the settings and URLs, migrate,
# set up, import a pack; then scripts/fresh_site_check.py installs the app through the manifest
# flow against a fake Saleor at the httpx edge, posts real Saleor 3.23 deliveries, runs
# `masa_worker --once` (the README starts it for good) and checks the email that went out; last,
# with the site served, docs/deploy.md's health and metrics commands and its upgrade.
# Usage: scripts/fresh_site.sh [PYTHON]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${1:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
block() { "$PYTHON" "$ROOT/scripts/readme_block.py" "$ROOT/README.md" "$1"; }
deploy_block() { "$PYTHON" "$ROOT/scripts/readme_block.py" "$ROOT/docs/deploy.md" "$1"; }
run_lines() {  # each command of a README block, its comment dropped; the long-running worker skipped
  while IFS= read -r line; do
    command="${line%%#*}"
    [[ -z "${command// }" || "$command" == *"masa_worker"* ]] && continue
    echo "+ $command"
    eval "$command"
  done
}

export PIP_DISABLE_PIP_VERSION_CHECK=1
"$PYTHON" -m venv "$WORK/venv"
source "$WORK/venv/bin/activate"
pip install --quiet --upgrade pip setuptools wheel
pip install --quiet "wagtail>=7.4,<9"
python -c "import sys; print('fresh site on Python', sys.version.split()[0])"

cd "$ROOT"
rm -rf dist
block build | run_lines
block install | run_lines

cd "$WORK"
wagtail start mysite
cd mysite
{ echo; block settings; } >> mysite/settings/base.py
{ echo; echo "from django.urls import include, path  # noqa: E402"; block urls; } >> mysite/urls.py
export DJANGO_SETTINGS_MODULE=mysite.settings.dev
block run | run_lines
export MASA_METRICS_TOKEN="fresh-site-$RANDOM$RANDOM"
MASA_SHARED_DIR="${MASA_SHARED_DIR:-$ROOT/../shared}" PYTHONPATH=. python "$ROOT/scripts/fresh_site_check.py"

python manage.py runserver 127.0.0.1:8000 --noreload >"$WORK/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 60); do
  python -c "import httpx; httpx.get('http://127.0.0.1:8000/masa/health/')" 2>/dev/null && break
  sleep 0.5
done
deploy_block health | run_lines
ln -s "$ROOT/dist" dist   # docs/deploy.md's upgrade runs where the new release's dist/ is
deploy_block upgrade | run_lines
echo "fresh site on $(python -V): OK"
