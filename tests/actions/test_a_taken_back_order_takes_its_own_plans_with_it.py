"""An order taken back restores what it had stopped of an *earlier* order's plans ("ordered
again"), never its own: a refill reminder the order's own later event had stopped stays stopped."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.actions.reversal import on_order_reversed
from masa.models import Customer, ScheduledAction, StoreEvent


def _event(customer, name, order_id, at):
    return StoreEvent.objects.create(source="test", source_id=f"{name}:{order_id}", name=name, customer=customer,
                                     occurred_at=at, data={"order_id": order_id, "number": order_id[-1]})


def _stopped(customer, key, planned_by, stopped_by, now):
    return ScheduledAction.objects.create(
        idempotency_key=key, customer=customer, event=planned_by, step=1, kind="send", params={"template": "refill"},
        due_at=now + timedelta(days=20), status=ScheduledAction.Status.CANCELLED, cancel_reason="ordered again",
        voided_by=stopped_by, completed_at=now)


@pytest.mark.django_db
def test_cancelling_an_order_brings_back_the_earlier_orders_reminder_but_not_its_own():
    now = timezone.now()
    customer = Customer.objects.create(store_id="c-1", email="hannah@example.com")
    first = _event(customer, "order_placed", "order-1", now - timedelta(days=30))
    second = _event(customer, "order_placed", "order-2", now - timedelta(days=2))
    second_paid = _event(customer, "order_paid", "order-2", now - timedelta(days=1))
    earlier = _stopped(customer, "refill:order-1", first, second, now)
    own = _stopped(customer, "refill:order-2", second, second_paid, now)

    cancelled = _event(customer, "order_cancelled", "order-2", now)
    on_order_reversed(cancelled, customer, now)

    earlier.refresh_from_db()
    own.refresh_from_db()
    assert earlier.status == "pending" and earlier.outcome == "restored: order #2 was cancelled"
    assert own.status == "cancelled", "the cancelled order's own reminder does not come back"
