"""Claiming and sending due actions: no double claims, retries with backoff, dead letters."""
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection

from masa.actions import due as scheduling
from masa.channels import TransientChannelError
from masa.channels.email import EmailChannel
from masa.models import Delivery, ScheduledAction

from ..helpers import at_once, post_signed
from ..helpers import order_payload

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
DUE = NOW + timedelta(days=26)


def make_actions(client, signer, count):
    for i in range(count):
        post_signed(client, signer, "order_created", order_payload(
            when=NOW, email=f"c{i}@example.com", user_id=f"user-{i}"))
    assert ScheduledAction.objects.filter(status="pending").count() == count


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_claim_the_same_row(client, signing_store, refill_rule, email_channel):
    make_actions(client, signing_store, 40)
    claimed = []

    def claim():
        for _ in range(10):
            claimed.extend(scheduling.claim_due(now=DUE, limit=3))

    at_once(2, claim)

    assert len(claimed) == len(set(claimed)) == 40


@pytest.mark.django_db
def test_a_stale_claim_is_taken_again_and_sent_once(client, signing_store, refill_rule, email_channel):
    make_actions(client, signing_store, 1)
    [action_id] = scheduling.claim_due(now=DUE)
    assert scheduling.claim_due(now=DUE + timedelta(seconds=60)) == []

    assert scheduling.sweep(now=DUE + timedelta(minutes=11)) == {"done": 1}
    assert Delivery.objects.get().status == "sent"


@pytest.mark.django_db
def test_a_delivery_already_sent_is_not_sent_again(client, signing_store, refill_rule, email_channel, mailoutbox):
    make_actions(client, signing_store, 1)
    scheduling.sweep(now=DUE)
    ScheduledAction.objects.update(status="claimed", claimed_at=DUE)

    assert scheduling.dispatch(ScheduledAction.objects.get().pk, now=DUE) == "done"
    assert Delivery.objects.count() == 1 and len(mailoutbox) == 1


@pytest.mark.django_db
def test_transient_failures_retry_with_backoff_then_dead_letter(client, signing_store, refill_rule, email_channel, monkeypatch, settings):
    settings.MASA = {**settings.MASA, "SEND_MAX_ATTEMPTS": 3, "SEND_RETRY_BASE": "1m"}

    def refuse(self, message):
        raise TransientChannelError("421 try again later")

    monkeypatch.setattr(EmailChannel, "send", refuse)
    make_actions(client, signing_store, 1)

    assert scheduling.sweep(now=DUE) == {"retry": 1}
    action = ScheduledAction.objects.get()
    assert action.status == "pending" and action.attempts == 1
    assert DUE + timedelta(seconds=30) <= action.due_at <= DUE + timedelta(seconds=60)
    assert scheduling.sweep(now=DUE + timedelta(seconds=61)) == {"retry": 1}
    assert scheduling.sweep(now=DUE + timedelta(hours=1)) == {"failed": 1}

    action.refresh_from_db()
    delivery = Delivery.objects.get()
    assert action.status == "failed" and "gave up after 3 attempts: 421 try again later" in action.last_error
    assert delivery.status == "dead" and delivery.attempts.count() == 3
    assert email_channel.__class__.objects.get().last_error == "421 try again later"


@pytest.mark.django_db
def test_a_missing_template_fails_the_action_with_a_reason(client, signing_store, refill_rule, email_channel):
    make_actions(client, signing_store, 1)
    from masa.models import MessageTemplate

    MessageTemplate.objects.all().delete()
    assert scheduling.sweep(now=DUE) == {"failed": 1}
    assert ScheduledAction.objects.get().last_error == "no message template 'refill-absorbent'"


@pytest.mark.django_db
def test_no_enabled_channel_fails_the_action_with_a_reason(client, signing_store, refill_rule):
    make_actions(client, signing_store, 1)
    assert scheduling.sweep(now=DUE) == {"failed": 1}
    assert ScheduledAction.objects.get().last_error == "no enabled channel named or of kind 'email'"


@pytest.mark.django_db
def test_the_sweep_query_uses_the_partial_due_index(client, signing_store, refill_rule):
    make_actions(client, signing_store, 1)
    query = ScheduledAction.objects.filter(status="pending", due_at__lte=DUE).order_by("due_at")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = query.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "masa_action_due" in plan


def test_two_orders_minutes_apart_are_no_rhythm_and_a_long_lead_never_makes_a_reminder_due_at_once():
    """Issue 19, item 4 (and issue 31, item 6): orders less than a day apart are one visit, so no
    rhythm; a real rhythm is clamped to half..twice the product period, and a reminder never comes
    sooner than half the period after the purchase."""
    from datetime import datetime, timezone as tz

    from masa.actions.timing import refill_delay
    from masa.models import Customer, StoreEvent

    day = 86400
    refill = {"period": 30 * day, "lead": 5 * day, "per_quantity": True, "own_rhythm": True, "category": "pads"}
    at = datetime(2026, 3, 1, 9, 0, tzinfo=tz.utc)
    quick = Customer(category_times={"pads": [at.isoformat(), (at.replace(minute=14)).isoformat()]})
    event = StoreEvent(name="category_bought", occurred_at=at, data={"category": "pads", "quantity": 1})
    assert refill_delay(refill, event, quick).days == 25            # one visit: the period, 30 days, minus 5
    steady = Customer(category_times={"pads": [at.isoformat(), at.replace(month=3, day=21).isoformat()]})
    assert refill_delay(refill, event, steady).days == 15           # her own 20 days minus 5
    long_lead = {**refill, "lead": 40 * day, "own_rhythm": False}
    assert refill_delay(long_lead, event, Customer()).days == 15    # never before half the period


def test_a_category_of_mixed_products_runs_out_by_each_products_own_period():
    """Issue 19, item 11: per-product quantities — one 30-day and two 60-day packs last 150 days."""
    from masa.actions.timing import refill_delay
    from masa.models import Customer, StoreEvent
    from masa.signals.normalize import order_events
    from masa.events import Identity

    day = 86400
    lines = [{"product_id": pid, "product_name": pid, "variant_id": "", "sku": "", "quantity": qty, "total": 10.0,
              "category": "pads", "category_name": "", "parent_category": ""} for pid, qty in (("pads-30", 1), ("pads-60", 2))]
    placed = order_events("order_placed", "o1", NOW, Identity(email="ruth@example.com"),
                          {"number": "1", "lines": lines, "categories": ["pads"], "products": [], "skus": []})
    bought = next(e for e in placed if e.name == "category_bought")
    assert (bought.data["quantity"], bought.data["quantities"]) == (3, {"pads-30": 1, "pads-60": 2})
    refill = {"period": 30 * day, "periods": {"pads-60": 60 * day}, "lead": 5 * day, "per_quantity": True,
              "own_rhythm": True, "category": "pads"}
    event = StoreEvent(name="category_bought", occurred_at=NOW, data=bought.data)
    assert refill_delay(refill, event, Customer()).days == 145                 # 30 + 2 × 60, minus the lead
    assert refill_delay({**refill, "per_quantity": False}, event, Customer()).days == 45   # one unit: 150 / 3
    single = StoreEvent(name="product_bought", occurred_at=NOW, data={"product_id": "pads-60", "quantity": 1})
    assert refill_delay(refill, single, Customer()).days == 55
