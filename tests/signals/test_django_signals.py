"""In-process stores: the public Django signals give the same events a Saleor webhook would."""
from datetime import datetime, timedelta, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Customer, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def send(signal, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signal.send(sender=None, **kwargs)


def test_order_placed_signal_is_stored_normalized_and_evaluated(refill_rule):
    send(signals.customer_created, customer_id=7, email="Miriam@Example.com", first_name="Miriam")
    send(signals.order_placed, order_id=42, customer_id=7, email="miriam@example.com", occurred_at=NOW,
         lines=[{"product_id": "p1", "product_name": "Pads", "quantity": 3, "total": 30.0, "category": "absorbent"}],
         currency="EUR")

    placed = StoreEvent.objects.get(name="order_placed")
    assert placed.source == "django" and placed.source_id == "order_placed:42"
    assert placed.status == "processed"
    assert StoreEvent.objects.get(name="category_bought").data["quantity"] == 3
    customer = Customer.objects.get()
    assert (customer.store_id, customer.email, customer.first_name, customer.orders_count) == ("7", "miriam@example.com", "Miriam", 1)
    assert ScheduledAction.objects.get().due_at == NOW + timedelta(days=25)


def test_the_same_signal_twice_is_stored_once(refill_rule):
    for _ in range(2):
        send(signals.order_placed, order_id=42, email="miriam@example.com", occurred_at=NOW,
             lines=[{"product_id": "p1", "quantity": 1, "total": 30.0, "category": "absorbent"}])
    assert StoreEvent.objects.filter(name="order_placed").count() == 1
    assert ScheduledAction.objects.count() == 1


def test_a_guest_order_is_matched_to_the_customer_by_email():
    send(signals.customer_created, customer_id=7, email="miriam@example.com")
    send(signals.order_placed, order_id=43, email="MIRIAM@example.com", lines=[])
    assert Customer.objects.count() == 1
    assert StoreEvent.objects.get(name="order_placed").customer.store_id == "7"


def test_an_event_that_names_nobody_is_ignored_with_a_reason():
    send(signals.order_placed, order_id=44, lines=[])
    event = StoreEvent.objects.get()
    assert event.status == "ignored" and event.error == "the event names no customer"
