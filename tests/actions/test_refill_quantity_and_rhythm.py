"""Issue 31, item 6: a refill reminder honours the quantity bought with the customer's own rhythm,
and orders minutes apart are one visit, no rhythm. Through the evaluation (Django signals' orders)
and ``timing.refill_delay`` itself."""
from datetime import datetime, timedelta, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.actions.timing import refill_delay, visits
from masa.models import Customer, MessageTemplate, Rule, ScheduledAction, StoreEvent

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
DAY = 86400
JUICES = {"period": 21 * DAY, "lead": 3 * DAY, "per_quantity": True, "own_rhythm": True, "category": "juices",
          "periods": {}}


def buy(number, at, quantity):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id=f"o{number}", customer_id="c1", email="c@example.com",
                                  occurred_at=at, marketing_consent=True,
                                  lines=[{"product_id": "juice", "quantity": quantity, "total": 9.0,
                                          "category": "juices"}])


@pytest.fixture
def refill_rule(db):
    MessageTemplate.objects.create(key="refill", subject="Running low?", body="Time to reorder")
    Rule.objects.create(rule_id="juice-refill", title="Juice refill", definition={
        "trigger": {"event": "category_bought", "category": "juices"},
        "steps": [{"wait": {"refill": {"period": "21d", "lead": "3d"}}},
                  {"check": {"not_bought_since": {"category": "juices"}}}, {"send": {"template": "refill"}}]})


def reminder_after(number) -> timedelta:
    event = StoreEvent.objects.get(name="category_bought", data__order_id=f"o{number}")
    action = ScheduledAction.objects.get(rule__rule_id="juice-refill", event=event)
    return action.due_at - event.occurred_at


@pytest.mark.django_db
def test_three_juices_reordered_a_minute_and_a_half_later_are_reminded_after_sixty_days(refill_rule):
    buy(1, T0, 3)
    buy(2, T0 + timedelta(minutes=1, seconds=30), 3)
    assert reminder_after(1) == timedelta(days=60)   # 3 × 21 − 3
    assert reminder_after(2) == timedelta(days=60), "two orders minutes apart are no rhythm"


@pytest.mark.django_db
def test_her_own_rhythm_counts_per_unit_and_is_multiplied_by_the_quantity(refill_rule):
    buy(1, T0, 1)
    buy(2, T0 + timedelta(days=14), 1)
    assert reminder_after(2) == timedelta(days=11)   # her 14 days − 3
    buy(3, T0 + timedelta(days=28), 3)
    assert reminder_after(3) == timedelta(days=39)   # 3 × her 14 days − 3


def test_visits_less_than_a_day_apart_are_one():
    times = [T0, T0 + timedelta(minutes=2), T0 + timedelta(hours=23), T0 + timedelta(days=1, hours=1)]
    assert visits([t.isoformat() for t in times]) == [T0.isoformat(), (T0 + timedelta(days=1, hours=1)).isoformat()]


def test_the_rhythm_per_unit_is_kept_within_half_and_twice_the_period_and_quantity_off_is_one_unit():
    event = StoreEvent(name="category_bought", occurred_at=T0, data={"category": "juices", "quantity": 2})
    slow = Customer(category_times={"juices": [T0.isoformat(), (T0 + timedelta(days=90)).isoformat()]})
    assert refill_delay(JUICES, event, slow) == timedelta(days=2 * 42 - 3)     # 90 days kept at 2 × 21, × 2 units
    assert refill_delay({**JUICES, "per_quantity": False}, event, slow) == timedelta(days=42 - 3)
    assert refill_delay({**JUICES, "own_rhythm": False}, event, slow) == timedelta(days=2 * 21 - 3)
