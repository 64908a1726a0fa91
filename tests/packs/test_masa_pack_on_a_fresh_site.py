"""``masa_pack`` on a site that was never migrated: ``test`` plays its scenarios on a throwaway
database it migrates itself (and leaves the site's SQLite file uncreated), ``validate`` touches
no database at all; ``--set`` reads a list as JSON or comma-separated."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from masa.management.commands.masa_pack import _value
from masa.models import RulePack

ROOT = Path(__file__).resolve().parents[2]


def fresh_site(*args, database: Path):
    """``example/manage.py`` in a new process on a SQLite file nobody migrated (or that does not exist)."""
    clean = {name: value for name, value in os.environ.items() if name not in ("DJANGO_SETTINGS_MODULE",)}
    return subprocess.run([sys.executable, str(ROOT / "example" / "manage.py"), *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT / "example",
                          env={**clean, "MASA_DB": "sqlite", "MASA_SQLITE_PATH": str(database),
                               "DJANGO_SECRET_KEY": "fresh-site-test-key-" + "k3y9" * 12})


def test_validate_touches_no_database(tmp_path):
    database = tmp_path / "db.sqlite3"
    done = fresh_site("masa_pack", "validate", str(ROOT / "packs" / "engagement" / "pack.yaml"), database=database)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "engagement 1.0.0 is valid" in done.stdout
    assert not database.exists(), "validate created the site's database"


def test_test_on_a_site_never_migrated_plays_on_a_throwaway_database(tmp_path):
    database = tmp_path / "db.sqlite3"
    done = fresh_site("masa_pack", "test", "ecommerce-starter", "-k", "Hebrew", database=database)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "is not migrated yet: the scenarios play on a throwaway database" in done.stdout
    assert "ok    a Hebrew customer" in done.stdout and "1 of 1 scenarios pass" in done.stdout
    assert "Traceback" not in done.stderr and not database.exists()


@pytest.mark.parametrize("text, spec, value", [
    ('["walkers", "wheelchairs"]', {"type": "list"}, ["walkers", "wheelchairs"]),
    ("walkers, wheelchairs", {"type": "list"}, ["walkers", "wheelchairs"]),
    ("walkers", {"type": "list"}, ["walkers"]),
    ("7d", {"type": "duration"}, "7d"),
    ("4", {"type": "integer"}, 4),
    ("Hello, there", {"type": "string"}, "Hello, there"),
    ('{"pads-60": "60d"}', {"type": "map"}, {"pads-60": "60d"}),
])
def test_set_reads_json_or_text_and_a_list_comma_separated(text, spec, value):
    assert _value(text, spec) == value


@pytest.mark.django_db
def test_import_takes_a_comma_separated_list(capsys):
    call_command("masa_pack", "import", "ecommerce-starter", "--set", "technical_categories=grinders,kettles")
    pack = RulePack.objects.get(pack_id="ecommerce-starter")
    assert pack.resolved_parameters()["technical_categories"] == ["grinders", "kettles"]
