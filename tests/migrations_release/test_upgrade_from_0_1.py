"""Release 0.2 squashed 0.1's 23 migrations into one: a 0.1 database (a PostgreSQL dump made by the
old migrations, make_0_1_dump.sh) migrates forward with its rows, ends with the schema a new site
gets, and a database that stopped half way through 0.1's migrations is told what to do."""
import gzip
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DUMP = Path(__file__).with_name("masa-0.1.sql.gz")
SERVER = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=os.environ.get("PGPORT", "5432"),
              user=os.environ.get("PGUSER", "postgres"))


def admin(sql):
    with psycopg.connect(dbname="postgres", autocommit=True, **SERVER) as connection:
        connection.execute(sql)


@pytest.fixture
def database(request):
    """A database of its own (dropped after), named for this test run."""
    name = f"masa_release_{os.getpid()}_{request.node.name[:20].lower()}"
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    yield name
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_0_1(name):
    sql = gzip.decompress(DUMP.read_bytes()).decode()
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", SERVER["host"], "-p", str(SERVER["port"]),
                    "-U", SERVER["user"], "-d", name], input=sql, text=True, check=True, capture_output=True)


def manage(name, *args):
    env = dict(os.environ, PGDATABASE=name, MASA_DB="postgres", DJANGO_SETTINGS_MODULE="tests.settings",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example")]))
    return subprocess.run([sys.executable, "-m", "django", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def query(name, sql):
    with psycopg.connect(dbname=name, **SERVER) as connection:
        return connection.execute(sql).fetchall()


SCHEMA = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
                  FROM information_schema.columns WHERE table_schema = 'public' AND table_name LIKE 'masa\\_%'""",
    "indexes": "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'masa\\_%'",
    "constraints": """SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint
                      WHERE conrelid::regclass::text LIKE 'masa\\_%'""",
}


def schema(name):
    return {part: sorted(query(name, sql)) for part, sql in SCHEMA.items()}


def test_a_0_1_database_migrates_forward_with_its_rows_to_a_new_sites_schema(database, tmp_path):
    restore_0_1(database)
    before = {table: query(database, f"SELECT count(*) FROM {table}")[0][0]
              for table in ("masa_customer", "masa_storeevent", "masa_scheduledaction", "masa_delivery", "masa_rule")}
    assert before["masa_customer"] == 2 and before["masa_scheduledaction"] > 0 and before["masa_delivery"] > 0

    result = manage(database, "migrate", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("0001_squashed_0023_channels_consent_whatsapp",) in query(
        database, "SELECT name FROM django_migrations WHERE app = 'masa'")
    plan = manage(database, "showmigrations", "masa", "--plan")
    assert "[X]  masa.0001_squashed_0023" in plan.stdout and "[ ]" not in plan.stdout
    after = {table: query(database, f"SELECT count(*) FROM {table}")[0][0] for table in before}
    assert after == before

    fresh = f"{database}_new"
    admin(f'DROP DATABASE IF EXISTS "{fresh}"')
    admin(f'CREATE DATABASE "{fresh}"')
    try:
        result = manage(fresh, "migrate", "--noinput")
        assert result.returncode == 0, result.stdout + result.stderr
        assert schema(database) == schema(fresh)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')

    result = manage(database, "masa_worker", "--once")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_database_half_way_through_0_1s_migrations_is_told_what_to_do(database):
    restore_0_1(database)
    with psycopg.connect(dbname=database, autocommit=True, **SERVER) as connection:
        connection.execute("DELETE FROM django_migrations WHERE app = 'masa' AND name >= '0020'")
    result = manage(database, "migrate", "--noinput")
    assert result.returncode != 0
    assert "masa.E021" in result.stderr and "up to 0019_customer_store_identity" in result.stderr
    assert "Masa 0.1.0" in result.stderr and "Traceback" not in result.stderr


def test_the_models_and_the_squashed_migration_agree():
    result = manage("postgres", "makemigrations", "masa", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
