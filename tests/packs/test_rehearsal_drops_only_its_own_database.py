"""``masa_pack test`` on a site whose PostgreSQL database is not migrated plays on a database of its
own (``masa_rehearsal_<random>``) that it creates and drops itself: an existing database of any
name — ``test_<NAME>`` (Django's test name, which it used to clobber), one named like Masa's own,
the site's — survives with its tables and rows, and nothing of the run is left behind."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from masa.packs.rehearsal_database import PREFIX

ROOT = Path(__file__).resolve().parents[2]


def _sql(statement: str, database: str | None = None):
    """Run one statement outside the test's transaction (on ``database``, or the server's own)."""
    default = connections["default"]
    other = type(default)({**default.settings_dict, **({"NAME": database} if database else {})}, alias="default")
    try:
        if database is None:
            with other._nodb_cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else None
        other.set_autocommit(True)
        with other.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        other.close()


def _databases() -> set[str]:
    return {row[0] for row in _sql("SELECT datname FROM pg_database")}


@pytest.mark.django_db
def test_an_existing_database_of_any_name_survives_a_rehearsal():
    base = os.environ.get("PGDATABASE", "masa")[:20]
    site = f"{base}_site_{secrets.token_hex(3)}"
    bystanders = [f"test_{site}", f"{PREFIX}{secrets.token_hex(6)}"]
    for name in (site, *bystanders):
        _sql(f'CREATE DATABASE "{name}"')
    try:
        for name in bystanders:
            _sql("CREATE TABLE keepsake (note text)", name)
            _sql("INSERT INTO keepsake VALUES ('mine')", name)
        before = _databases()
        clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        done = subprocess.run(
            [sys.executable, str(ROOT / "example" / "manage.py"), "masa_pack", "test", "ecommerce-starter", "-k", "Hebrew"],
            capture_output=True, text=True, timeout=600, cwd=ROOT / "example",
            env={**clean, "MASA_DB": "postgres", "PGDATABASE": site,
                 "DJANGO_SECRET_KEY": "rehearsal-test-key-" + "r3h4" * 12})
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        assert "throwaway database" in done.stdout and "1 of 1 scenarios pass" in done.stdout
        for name in bystanders:
            assert _sql("SELECT note FROM keepsake", name) == [("mine",)], name
        ours = {name for name in _databases() ^ before if name.startswith(PREFIX) or name.endswith(site)}
        assert not ours, f"the rehearsal left a database behind or dropped one: {ours}"
        assert _sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", site) == [(0,)], \
            "the site's own database was migrated or written to"
    finally:
        for name in (site, *bystanders):
            _sql(f'DROP DATABASE IF EXISTS "{name}"')
