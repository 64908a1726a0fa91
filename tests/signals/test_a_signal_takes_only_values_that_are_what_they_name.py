"""What an in-process store passes with Masa's Django signals is read the way Saleor's values are:
a refund's amount as money in any form a Django store has it (Decimal, int, float, "20.00"), so a
partial refund never takes the whole order back; a wrong amount, quantity or ``full`` is the
developer's bug and raises at ``send()`` with nothing stored; a phone, a language or a country that
is not one is dropped and the event kept; every name passes the one cleaner."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Customer, StoreEvent
from masa.values import NAME_LIMIT

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
LINES = [{"product_id": "p1", "product_name": "Pads", "quantity": 1, "total": 100, "category": "a"}]


def send(signal, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signal.send(sender=None, **kwargs)


def placed():
    send(signals.order_placed, order_id="9", customer_id="7", email="r@example.com", lines=LINES,
         total=Decimal("100.00"), occurred_at=NOW)


@pytest.mark.parametrize("amount", [Decimal("20.00"), "20.00", " 20 ", 20, 20.0])
def test_a_partial_refund_in_any_money_form_is_partial_and_takes_nothing_back(amount):
    placed()
    send(signals.order_refunded, order_id="9", customer_id="7", email="r@example.com", amount=amount,
         total=Decimal("100.00"), refund_id="r1", occurred_at=NOW)
    refund = StoreEvent.objects.get(name="order_refunded")
    assert refund.data["fully_refunded"] is False and refund.data["amount"] == 20.0
    assert Customer.objects.get().orders_count == 1


@pytest.mark.parametrize("refund, error", [
    ({"amount": "abc"}, ValueError), ({"amount": -5}, ValueError), ({"amount": "-5"}, ValueError),
    ({"amount": "NaN"}, ValueError), ({"amount": True}, TypeError), ({"amount": [20]}, TypeError),
    ({"full": "no"}, TypeError), ({"full": "no", "amount": 5}, TypeError), ({"full": 1}, TypeError),
    ({"total": "lots"}, ValueError), ({"total": -100}, ValueError),
])
def test_a_wrong_refund_raises_at_send_and_takes_nothing_back(refund, error):
    placed()
    with pytest.raises(error, match="masa.signals"):
        send(signals.order_refunded, order_id="9", customer_id="7", email="r@example.com", refund_id="j",
             lines=LINES, occurred_at=NOW, **refund)
    assert not StoreEvent.objects.filter(name="order_refunded").exists()
    assert Customer.objects.get().orders_count == 1, "the order still stands"


@pytest.mark.parametrize("line, error", [({"quantity": "two"}, ValueError), ({"quantity": -1}, ValueError),
                                         ({"total": "abc"}, ValueError), ({"total": None, "quantity": 1.5}, ValueError)])
def test_a_wrong_line_raises_at_send(line, error):
    with pytest.raises(error, match="masa.signals"):
        send(signals.order_placed, order_id="9", email="r@example.com", lines=[{**LINES[0], **line}])
    assert not StoreEvent.objects.exists()


def test_occurred_at_must_be_an_aware_datetime():
    with pytest.raises(TypeError, match="occurred_at"):
        send(signals.order_placed, order_id="9", email="r@example.com", lines=LINES, occurred_at="yesterday")


@pytest.mark.parametrize("phone, kept", [("call me maybe", ""), ("+972 50-123-4567", "+972 50-123-4567"),
                                         ("(03) 555 0199", "(03) 555 0199"), ("12", ""), ("+1" * 40, ""),
                                         ("050<script>", ""), (972501234567, "972501234567")])
def test_a_phone_is_kept_only_when_it_looks_like_a_phone(phone, kept):
    send(signals.customer_created, customer_id=11, email="j@example.com", phone=phone)
    assert Customer.objects.get().phone == kept


def test_a_profile_that_is_not_what_it_names_is_dropped_and_the_event_kept():
    send(signals.customer_created, customer_id=11, email="j@example.com", country="Israel", time_zone="Mars/Base",
         locale="x" * 100, currency="shekels")
    customer, event = Customer.objects.get(), StoreEvent.objects.get()
    assert (customer.phone, customer.time_zone, customer.locale, event.data["country"]) == ("", "", "", "")
    send(signals.order_placed, order_id="c1", customer_id=11, email="j@example.com", lines=LINES,
         currency="shekels", locale="he-IL")
    order = StoreEvent.objects.get(name="order_placed")
    assert (order.data["currency"], order.data["locale"]) == ("", "he-IL")


@pytest.mark.parametrize("first", ["\u202e<b>{{ shop.secret }}</b> http://evil.example", "Claim at bit.ly/x7",
                                   "ｗｗｗ．evil．com", "\ue000"])
def test_a_guests_billing_name_from_a_signal_passes_the_one_cleaner(first):
    send(signals.order_placed, order_id="g1", email="guest@example.com", first_name=first, last_name="x",
         lines=LINES)
    assert Customer.objects.get().first_name == ""


def test_a_very_long_name_from_a_signal_is_capped_not_a_database_error():
    send(signals.order_placed, order_id="g2", email="guest2@example.com", first_name="A" * 400, lines=LINES)
    send(signals.customer_created, customer_id=12, email="acc@example.com", first_name="B" * 400, last_name="C" * 400)
    assert {len(c.first_name) for c in Customer.objects.all()} == {NAME_LIMIT}
