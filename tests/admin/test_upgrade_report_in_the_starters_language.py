"""An upgrade runs as a background job; its report (each item of the merge, "upgrading from …")
is written in the language of the person who started it — the Hebrew owner reads Hebrew lines on
the job's page, not the English of the process that ran it (issue 31, review 2)."""
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from masa import jobs
from masa.models import Job

from ..helpers import in_hebrew
from .owner_words import visible_text
from .test_pack_upgrade_preview import DELAY, TEXT, confirm, edited, preview  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def shown(response) -> str:
    return " ".join(text.text for text in visible_text(response.content.decode()))


def test_a_hebrew_owners_upgrade_report_is_in_hebrew(client, edited):
    client.force_login(in_hebrew(User.objects.get(username="edna")))
    page = shown(confirm(client, preview(client), **{DELAY: "pack", TEXT: "shop"}))
    job = Job.objects.get(kind=Job.Kind.UPGRADE)
    lines = " ".join(job.outcome["lines"])
    assert "של החבילה" in lines and "the pack's" not in lines and "we keep your edit" not in lines
    assert "upgrading from" not in lines or "1.0.0" in lines
    assert "של החבילה" in page and "you chose the pack's" not in page


def test_an_english_owners_upgrade_report_stays_english(client, edited):
    confirm(client, preview(client), **{DELAY: "pack", TEXT: "shop"})
    lines = " ".join(Job.objects.get(kind=Job.Kind.UPGRADE).outcome["lines"])
    assert "upgrading from 1.0.0" in lines and "you chose the pack's" in lines and "של החבילה" not in lines


def test_a_job_started_outside_a_request_takes_its_starters_preferred_language(client, edited):
    in_hebrew(User.objects.get(username="edna"))
    from ..packs.upgrade_fixtures import coffee
    from django.utils import translation

    with translation.override("en"):
        job = Job.objects.create(kind=Job.Kind.UPGRADE, title="Upgrade", pack_id="coffee", created_by="edna",
                                 params={"source": coffee(introduce_after="14d"), "filename": "coffee.yaml"})
        assert jobs.run(job.pk) == Job.Status.DONE
    job.refresh_from_db()
    assert "של החבילה" in " ".join(job.outcome["lines"])
