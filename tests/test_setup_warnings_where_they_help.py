"""What a new site still lacks (no store, no channel, no worker, no PUBLIC_URL: masa.W001–W004)
is said by ``manage.py check`` and the Journeys panel, not by every command Django runs the checks
for — ``masa_worker`` starting does not warn that no worker runs; settings errors stay everywhere."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from .helpers import editor

pytestmark = pytest.mark.django_db
SETUP_WARNINGS = ("masa.W001", "masa.W002", "masa.W003", "masa.W004")


@pytest.fixture
def new_site(settings):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [], "PUBLIC_URL": ""}


def said_by(name: str, *args, **options) -> str:
    """What a command prints, the system checks Django runs before it included."""
    out, err = StringIO(), StringIO()
    if name != "check":  # ``check`` runs them itself
        options["skip_checks"] = False
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


def test_manage_py_check_says_what_a_new_site_lacks(new_site):
    said = said_by("check")
    assert all(warning in said for warning in SETUP_WARNINGS)
    assert "No worker has run in the last 10 minutes" in said


def test_masa_worker_does_not_warn_that_no_worker_runs(new_site):
    said = said_by("masa_worker", once=True)
    assert "evaluated 0 events" in said
    assert not any(warning in said for warning in SETUP_WARNINGS), said


def test_other_commands_run_without_the_setup_warnings(new_site):
    for name, args in (("masa_sweep", ()), ("showmigrations", ("masa",)), ("migrate", ())):
        said = said_by(name, *args, verbosity=0)
        assert not any(warning in said for warning in SETUP_WARNINGS), (name, said)


def test_a_settings_error_still_stops_every_command(settings):
    settings.MASA = {**settings.MASA, "CART_ABANDONED_AFTER": "5m"}
    with pytest.raises(SystemCheckError, match="masa.E001"):
        said_by("check")
    with pytest.raises(SystemCheckError, match="masa.E001"):
        said_by("masa_worker", once=True)


def test_the_journeys_panel_still_says_what_the_site_lacks(new_site, client):
    client.force_login(editor())
    page = client.get("/admin/").content.decode()
    assert "No channel is set up" in page and "No worker has run in the last 10 minutes" in page
