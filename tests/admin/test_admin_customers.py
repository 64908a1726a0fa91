"""The customer timeline: search, one page with the whole journey, cancel a scheduled action,
notes, and a rule started by hand that goes through evaluation like any event."""
from datetime import timedelta

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import Customer, CustomerNote, Delivery, RuleFiring, ScheduledAction, StoreEvent
from masa.actions.due import sweep
from masa.eventstore import record_message_event as record
from masa.timezones import customer_zone

from ..helpers import NOW, denied, editor, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ruth(client, signing_store, refill_rule, email_channel):
    payload = place_order(client, signing_store)
    return Customer.objects.get(email="ruth@example.com"), payload


def test_customers_are_found_by_email_or_name(client, ruth):
    client.force_login(viewer())
    url = reverse("masa_customers")
    assert "ruth@example.com" in client.get(url, {"q": "RUTH@example"}).content.decode()
    assert "ruth@example.com" in client.get(url, {"q": "ruth levi"}).content.decode()
    assert "No customer matches" in client.get(url, {"q": "nobody"}).content.decode()


def test_timeline_shows_the_order_the_firing_and_the_scheduled_reminder(client, ruth):
    customer, payload = ruth
    client.force_login(viewer())
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    assert f"Ordered #{payload['order']['number']} — €40.00" in page
    assert "Started the journey “<bdi>Absorbent products refill</bdi>”" in page
    due = ScheduledAction.objects.get().due_at.astimezone(customer_zone(customer))
    assert f"Will <bdi>send “Time to restock, Ruth?”</bdi> on {due.day} {due:%B}, {due:%H:%M} their time " \
           f"(<bdi>Absorbent products refill</bdi>)" in page
    assert "masa-cancel" not in page


def test_sent_content_statuses_and_skips_are_on_the_timeline(client, ruth):
    customer, _ = ruth
    sweep(now=NOW + timedelta(days=26))
    delivery = Delivery.objects.get()
    record(delivery, "message_opened", "open-1")
    record(delivery, "message_clicked", "click-1", url="https://shop.example/absorbent")
    client.force_login(viewer())
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    assert delivery.body in page and "Time to restock, Ruth?" in page
    assert "Opened “<bdi>Time to restock, Ruth?</bdi>”" in page
    assert "Clicked a link in “<bdi>Time to restock, Ruth?</bdi>”" in page


def test_an_editor_cancels_a_scheduled_action_and_it_is_logged(client, ruth):
    customer, _ = ruth
    user = editor()
    client.force_login(user)
    action = ScheduledAction.objects.get()
    response = client.post(reverse("masa_customer", args=[customer.pk]), {"do": "cancel", "action": action.pk}, follow=True)
    assert "Cancelled: send “Time to restock, Ruth?”." in response.content.decode()
    action.refresh_from_db()
    assert (action.status, action.cancel_reason) == ("cancelled", "cancelled by edna")
    assert ModelLogEntry.objects.get(action="masa.action.cancel").user == user
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    assert "Skipped a step of “<bdi>Absorbent products refill</bdi>”" in page and "cancelled by edna" in page
    assert "<bdi>edna</bdi> cancelled a waiting step" in page


def test_notes_are_kept_on_the_timeline(client, ruth):
    customer, _ = ruth
    client.force_login(editor())
    client.post(reverse("masa_customer", args=[customer.pk]), {"do": "note", "text": "Called: prefers SMS"})
    assert CustomerNote.objects.get().text == "Called: prefers SMS"
    assert "Called: prefers SMS" in client.get(reverse("masa_customer", args=[customer.pk])).content.decode()


def test_a_rule_started_by_hand_runs_its_steps_through_evaluation(client, ruth, refill_rule,
                                                                   django_capture_on_commit_callbacks):
    customer, _ = ruth
    client.force_login(editor())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("masa_customer", args=[customer.pk]), {"do": "trigger", "rule": refill_rule.pk})
    event = StoreEvent.objects.get(name="manual_trigger")
    assert event.status == "processed" and event.data["rule"] == refill_rule.rule_id and event.data["by"] == "edna"
    assert RuleFiring.objects.filter(event=event, rule=refill_rule).exists()
    assert ScheduledAction.objects.filter(event=event, kind="send").count() == 1
    assert ModelLogEntry.objects.get(action="masa.rule.trigger").data == {"rule": refill_rule.rule_id}


def test_viewers_cannot_cancel_note_or_trigger(client, ruth, refill_rule):
    customer, _ = ruth
    client.force_login(viewer())
    url = reverse("masa_customer", args=[customer.pk])
    assert denied(client.post(url, {"do": "cancel", "action": ScheduledAction.objects.get().pk}))
    assert denied(client.post(url, {"do": "note", "text": "x"}))
    assert denied(client.post(url, {"do": "trigger", "rule": refill_rule.pk}))
    assert ScheduledAction.objects.get().status == "pending" and not CustomerNote.objects.exists()


def test_a_deferred_send_shows_why_it_waits(client, ruth):
    customer, _ = ruth
    ScheduledAction.objects.update(outcome="deferred to 2026-11-27 08:00 UTC: quiet hours (22:00–08:00)")
    client.force_login(viewer())
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    assert "quiet hours (22:00–08:00)" in page


def test_score_changes_show_their_cause_and_the_band_is_listed(client, ruth, django_capture_on_commit_callbacks):
    from masa.models import Rule
    from masa.eventstore import record_message_event as record

    customer, _ = ruth
    Rule.objects.create(rule_id="score-click", title="Score: a link clicked", definition={
        "trigger": {"event": "message_clicked"}, "steps": [{"increment": {"fact": "score", "by": 3}}]})
    Rule.objects.create(rule_id="band-warm", title="Band: warm", definition={
        "trigger": {"fact": "score"}, "conditions": [{"fact": "facts.score", "op": ">=", "value": 3}],
        "steps": [{"set": {"fact": "score_band", "value": "warm"}}]})
    sweep(now=NOW + timedelta(days=26))
    with django_capture_on_commit_callbacks(execute=True):
        record(Delivery.objects.get(), "message_clicked", "click-1", url="https://shop.example/")
    client.force_login(viewer())
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    click = page[page.index("Clicked a link in “<bdi>Time to restock, Ruth?</bdi>”"):]
    why = click[:click.index("</details>")]
    assert "<bdi>Score: a link clicked noted: score → 3</bdi>" in why
    assert "Opened “" not in page
    listing = client.get(reverse("masa_customers"), {"band": "warm"}).content.decode()
    assert "ruth@example.com" in listing and "3 (<bdi>warm</bdi>)" in listing
    assert "No customers yet" in client.get(reverse("masa_customers"), {"band": "hot"}).content.decode()
