"""Simulate a rule over stored events (writes nothing), then backfill for real after confirming:
once per past event, with waits counted from the event."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from masa.models import Job, Rule, RuleFiring, ScheduledAction, StoreEvent

from ..helpers import denied, editor, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def missed(client, signing_store, refill_rule, email_channel):
    """Ruth ordered three days ago, while the refill rule was off."""
    Rule.objects.filter(pk=refill_rule.pk).update(enabled=False)
    ordered_at = timezone.now().replace(microsecond=0) - timedelta(days=3)
    place_order(client, signing_store, when=ordered_at)
    Rule.objects.filter(pk=refill_rule.pk).update(enabled=True)
    assert not RuleFiring.objects.exists()
    return refill_rule, ordered_at


def simulate(client, rule, days=30):
    """Start a simulation job (it runs at once in tests) and follow to its page."""
    response = client.post(reverse("masa_rule_simulate", args=[rule.pk]), {"days": days}, follow=True)
    return Job.objects.filter(kind="simulate").latest("pk"), response.content.decode()


def test_simulation_shows_what_the_rule_would_have_sent_and_writes_nothing(client, missed):
    rule, _ = missed
    client.force_login(editor())
    job, page = simulate(client, rule)
    assert job.status == "done" and job.done == job.total
    assert "it would have produced 1 action for 1 customer" in page
    assert "ruth@example.com" in page and "Time to restock, Ruth?" in page
    assert not RuleFiring.objects.exists() and not ScheduledAction.objects.exists()


def test_backfill_needs_confirmation_then_schedules_once_from_the_event(client, missed, django_capture_on_commit_callbacks):
    rule, ordered_at = missed
    client.force_login(editor())
    url = reverse("masa_rule_simulate", args=[rule.pk])
    job, page = simulate(client, rule)
    assert "Backfill for real" in page
    client.post(url, {"simulation": job.pk})
    assert not ScheduledAction.objects.exists() and not Job.objects.filter(kind="backfill").exists()

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, {"simulation": job.pk, "confirm": "backfill"}, follow=True).content.decode()
    assert "1 past event handed to the rule" in page
    action = ScheduledAction.objects.get()
    assert action.due_at == ordered_at + timedelta(days=25) and action.status == "pending"
    assert StoreEvent.objects.get(name="manual_trigger").data["backfill_of"] == StoreEvent.objects.get(name="order_placed").pk
    backfill = Job.objects.get(kind="backfill")
    assert ModelLogEntry.objects.get(action="masa.rule.backfill").data == {"days": 30, "job": backfill.pk}
    assert backfill.outcome == {"events": 1}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"simulation": job.pk, "confirm": "backfill"})
    assert ScheduledAction.objects.count() == 1, "confirming twice schedules nothing more"
    _, page = simulate(client, rule)
    assert "Backfill for real" not in page


def test_viewers_can_neither_simulate_nor_backfill(client, missed):
    """A simulation replays real events and holds row locks while it runs: editors only."""
    rule, _ = missed
    client.force_login(viewer())
    url = reverse("masa_rule_simulate", args=[rule.pk])
    assert denied(client.get(url, {"days": 365}))
    assert denied(client.post(url, {"days": 30, "confirm": "backfill"}))
    assert not StoreEvent.objects.filter(name="manual_trigger").exists()
    assert denied(client.get(reverse("masa_rule_switch", args=[rule.pk])))
