#!/usr/bin/env bash
# How tests/migrations_release/masa-0.1.sql.gz was made (kept for the record; the dump is committed):
# a PostgreSQL database migrated by Masa 0.1's own migrations (0001_initial … 0023, the commit
# before they were squashed: 41c2d41), holding the demo's seed, a customer's orders, their
# evaluation and scheduled actions, then dumped.
# Usage (in a checkout of 41c2d41, with its .venv): bash make_0_1_dump.sh OUTPUT.sql.gz
set -euo pipefail
OUT="$(realpath "$1")"
DB=masa_release_0_1
dropdb --if-exists -h 127.0.0.1 -U postgres "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
cd example
export MASA_DB=postgres PGDATABASE="$DB" DJANGO_SECRET_KEY="masa-0-1-dump-only-0123456789abcdefghijklmnopqrstuvwxyz"
PY=../.venv/bin/python
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo
$PY manage.py shell -c '
from masa import signals
for number, email in enumerate(["ruth@example.com", "david@example.com", "ruth@example.com"], 1):
    signals.order_placed.send(sender=None, order_id=f"o{number}", customer_id=email.split("@")[0], email=email,
                              marketing_consent=True,
                              lines=[{"product_id": "pads-60", "quantity": 2, "total": 120.0, "category": "incontinence"}])
'
$PY manage.py masa_worker --once
pg_dump -h 127.0.0.1 -U postgres --no-owner --no-privileges "$DB" | gzip -9n >"$OUT"
dropdb -h 127.0.0.1 -U postgres "$DB"
