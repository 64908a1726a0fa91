"""Many events in one evaluation transaction (a delivery, or a worker's batch of them) end exactly
as if each had been evaluated alone: what the delivery lists once and writes at the end
(``rules.batch``) is kept true by the evaluation itself."""
from datetime import datetime, timedelta, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Channel, Customer, MessageTemplate, Rule, RuleFiring, ScheduledAction, StoreEvent
from masa.rules.evaluate import evaluate_events

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LINE = {"product_id": "pads", "quantity": 1, "total": 5.0, "category": "absorbent"}


def stored(send):
    """Store what ``send`` sends without evaluating it; returns the new events' ids."""
    before = set(StoreEvent.objects.values_list("pk", flat=True))
    with TestCase.captureOnCommitCallbacks(execute=False):
        send()
    return sorted(set(StoreEvent.objects.values_list("pk", flat=True)) - before)


def order(number, at, **kwargs):
    return stored(lambda: signals.order_placed.send(
        sender=None, order_id=f"o{number}", number=str(number), customer_id="c1", email="c@example.com",
        occurred_at=at, marketing_consent=True, lines=[LINE], **kwargs))


def outcome():
    return sorted(ScheduledAction.objects.values_list("event__data__order_id", "kind", "status", "cancel_reason",
                                                      "voided_by__data__order_id"))


def test_a_purchase_later_in_the_same_batch_cancels_the_refill_planned_earlier_in_it(refill_rule):
    events = order(1, T0) + order(2, T0 + timedelta(days=3))
    assert evaluate_events(events) == ["processed"] * len(events)

    first, second = ScheduledAction.objects.order_by("event_id")
    assert first.status == "cancelled" and first.cancel_reason.startswith("bought from category 'absorbent' again")
    assert first.voided_by.data["order_id"] == "o2" and second.status == "pending"


def test_a_batch_ends_as_the_same_events_evaluated_one_by_one(refill_rule):
    events = order(1, T0) + order(2, T0 + timedelta(days=3))
    evaluate_events(events)
    together = (outcome(), Customer.objects.values_list("orders_count", "category_counts").get())

    ScheduledAction.objects.all().delete()
    RuleFiring.objects.all().delete()
    StoreEvent.objects.all().delete()
    Customer.objects.all().delete()
    events = order(1, T0) + order(2, T0 + timedelta(days=3))
    for event in events:
        evaluate_events([event])
    assert (outcome(), Customer.objects.values_list("orders_count", "category_counts").get()) == together


def test_an_order_placed_and_cancelled_in_one_batch_leaves_nothing_pending(refill_rule):
    events = order(1, T0) + stored(lambda: signals.order_cancelled.send(
        sender=None, order_id="o1", number="1", customer_id="c1", email="c@example.com",
        occurred_at=T0 + timedelta(hours=1), lines=[LINE]))
    evaluate_events(events)
    action = ScheduledAction.objects.get()
    assert action.status == "cancelled" and action.cancel_reason == "order #1 was cancelled"


def test_a_rule_that_fires_once_per_customer_fires_once_for_two_orders_in_one_batch():
    Rule.objects.create(rule_id="welcome", title="Welcome", definition={
        "once": "customer", "trigger": {"event": "order_placed"}, "steps": [{"tag": "welcomed"}]})
    evaluate_events(order(1, T0) + order(2, T0 + timedelta(days=1)))
    evaluate_events(order(3, T0 + timedelta(days=2)))
    assert RuleFiring.objects.filter(rule__rule_id="welcome").count() == 1
    assert RuleFiring.objects.get(rule__rule_id="welcome").facts_set == {"tag:welcomed": True}


def test_the_awaited_event_in_the_same_batch_as_the_wait_resolves_it():
    Channel.objects.create(name="mail", kind="email")
    MessageTemplate.objects.create(key="nudge", subject="Hello", body="Come back")
    Rule.objects.create(rule_id="second-order", title="Second order", definition={
        "once": "customer", "trigger": {"event": "order_placed"}, "steps": [
            {"wait": {"event": "order_placed", "within": "30d", "on_event": [{"tag": "returning"}],
                      "on_timeout": [{"send": {"template": "nudge"}}]}}]})
    evaluate_events(order(1, T0) + order(2, T0 + timedelta(days=5)))
    waiting = ScheduledAction.objects.get(kind="await")
    assert waiting.status == "done" and waiting.outcome == "order_placed arrived on 2026-03-06 12:00"


def test_an_abandoned_cart_and_the_order_that_follows_in_one_batch_cancel_the_reminder():
    events = stored(lambda: signals.checkout_updated.send(
        sender=None, checkout_id="k1", customer_id="c1", email="c@example.com", occurred_at=T0,
        lines=[LINE])) + order(1, T0 + timedelta(minutes=10))
    evaluate_events(events)
    reminder = ScheduledAction.objects.get(kind="confirm_abandonment")
    assert reminder.status == "cancelled" and reminder.cancel_reason == "the customer placed order #1"
