"""An in-process store (Masa's Django signals) tells Masa what a Saleor store does: the customer's
language, address country, phone and a time zone it knows, a guest's billing name, and refunds
(``masa.signals.order_refunded``, full or partial) that take an order back exactly as Saleor's do."""
from datetime import datetime, timedelta, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.events import BY_NAME
from masa.models import Customer, ScheduledAction, StoreEvent
from masa.signals.normalize import normalize
from tests.helpers import order_payload

pytestmark = pytest.mark.django_db
# Now: an action already due when its order arrives would be performed at once.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
PADS = [{"product_id": "p1", "product_name": "Pads", "quantity": 1, "total": 30.0, "category": "absorbent"}]


def send(signal, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signal.send(sender=None, **kwargs)


def test_a_customers_language_phone_and_time_zone_reach_her_profile():
    send(signals.customer_created, customer_id=7, email="dana@example.com", first_name="דנה", locale="he",
         country="il", phone="+972501234567", time_zone="Asia/Jerusalem")
    customer = Customer.objects.get()
    assert (customer.locale, customer.phone, customer.time_zone) == ("he", "+972501234567", "Asia/Jerusalem")
    assert StoreEvent.objects.get().data["country"] == "IL"


def test_an_address_country_with_one_time_zone_gives_it():
    send(signals.customer_created, customer_id=8, email="noa@example.com", country="IL")
    assert Customer.objects.get().time_zone == "Asia/Jerusalem"


def test_a_guests_order_carries_her_billing_name_language_country_and_phone():
    send(signals.order_placed, order_id="g1", email="guest@example.com", first_name="Noa", last_name="Levi",
         locale="he", country="IL", phone="+972509999999", lines=PADS, occurred_at=NOW)
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name, customer.locale, customer.phone, customer.time_zone) == (
        "Noa", "Levi", "he", "+972509999999", "Asia/Jerusalem")
    assert StoreEvent.objects.get(name="order_placed").data["guest"] is True


def test_the_refund_signal_gives_the_event_saleors_refund_gives():
    send(signals.order_placed, order_id="42", customer_id=7, email="ruth@example.com", lines=PADS, occurred_at=NOW)
    send(signals.order_refunded, order_id="42", customer_id=7, email="ruth@example.com", full=True, amount=30.0,
         refund_id="r-1", occurred_at=NOW + timedelta(days=1))
    ours = StoreEvent.objects.get(name="order_refunded")
    [saleors] = normalize("order_fully_refunded", {**order_payload(), "__typename": "OrderFullyRefunded"})
    assert ours.name == saleors.name == "order_refunded"
    assert ours.data["fully_refunded"] is saleors.data["fully_refunded"] is True
    assert set(BY_NAME["order_refunded"].fields) <= set(ours.data), "every field a rule reads of a refund"
    assert set(saleors.data) <= set(ours.data)
    assert ours.data["amount"] == 30.0 and ours.source_id == "order_refunded:42:r-1"


def test_a_full_refund_takes_the_order_back_and_a_partial_one_does_not(refill_rule):
    send(signals.order_placed, order_id="42", customer_id=7, email="ruth@example.com", lines=PADS, occurred_at=NOW,
         marketing_consent=True)
    reminder = ScheduledAction.objects.get()
    send(signals.order_refunded, order_id="42", customer_id=7, email="ruth@example.com", full=False, amount=10.0,
         occurred_at=NOW + timedelta(days=1))
    reminder.refresh_from_db()
    assert reminder.status == "pending" and Customer.objects.get().orders_count == 1
    send(signals.order_refunded, order_id="42", customer_id=7, email="ruth@example.com", full=True,
         occurred_at=NOW + timedelta(days=2))
    reminder.refresh_from_db()
    assert reminder.status == "cancelled" and reminder.cancel_reason == "order #42 was refunded"
    assert Customer.objects.get().orders_count == 0
    assert StoreEvent.objects.filter(name="order_refunded").count() == 2, "each refund is its own event"


@pytest.mark.parametrize("refund, full", [({}, True), ({"amount": 10.0}, False), ({"amount": 30.0}, True),
                                          ({"amount": 30.0, "full": False}, False)])
def test_without_full_a_refund_is_full_when_it_names_no_amount_or_covers_the_total(refund, full):
    send(signals.order_refunded, order_id="43", email="ruth@example.com", total=30.0, occurred_at=NOW, **refund)
    assert StoreEvent.objects.get().data["fully_refunded"] is full


def test_a_careless_store_sends_wrong_types_and_nothing_breaks_or_lies():
    send(signals.customer_created, customer_id=9, email="x@example.com", locale=["he"], country="Israel",
         phone="+1" * 40, time_zone="Mars/Olympus")
    send(signals.order_refunded, order_id="44", customer_id=9, email="x@example.com", amount=30.0,
         first_name="<b>Eve</b> https://evil.example", occurred_at=NOW)
    customer = Customer.objects.get()
    assert (customer.locale, customer.time_zone, customer.phone) == ("", "", ""), "a cut phone number is someone else's"
    created, refunded = StoreEvent.objects.order_by("pk")
    assert created.data["country"] == "" and created.data["metadata"] == {} and created.status == "processed"
    assert "time_zone" not in customer.facts
    assert refunded.data["first_name"] == "" and refunded.status == "processed"
