"""A signed order flows end to end: webhook → event → rule → scheduled action → sweep → email."""
from datetime import datetime, timedelta, timezone

import pytest
from django.core import mail

from masa.models import Delivery, RuleFiring, ScheduledAction, StoreEvent
from masa.actions.due import sweep

from ..helpers import post_signed
from ..helpers import customer_payload, order_payload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def ruth(client, signing_store):
    assert post_signed(client, signing_store, "customer_created", customer_payload(when=NOW)).status_code == 200


def test_signed_order_schedules_then_sends_exactly_one_rendered_email(client, signing_store, ruth, refill_rule, email_channel):
    payload = order_payload(when=NOW)
    response = post_signed(client, signing_store, "order_created", payload)

    assert response.json() == {"status": "accepted", "events": 3}
    event = StoreEvent.objects.get(name="order_placed")
    assert event.status == "processed"
    firing = RuleFiring.objects.get()
    assert (firing.rule, firing.event) == (refill_rule, event)
    action = ScheduledAction.objects.get()
    assert action.status == "pending"
    assert action.due_at == NOW + timedelta(days=25)

    assert sweep(now=NOW + timedelta(days=24)) == {}
    assert mail.outbox == []

    assert sweep(now=NOW + timedelta(days=25, seconds=1)) == {"done": 1}
    assert sweep(now=NOW + timedelta(days=26)) == {}

    delivery = Delivery.objects.get()
    number = payload["order"]["number"]
    assert delivery.status == "sent" and delivery.to == "ruth@example.com"
    assert delivery.subject == "Time to restock, Ruth?"
    assert delivery.body == f"Hi Ruth, your order #{number} will run out soon."
    assert delivery.attempts.get().ok
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.subject, sent.body, sent.to, sent.from_email) == (
        delivery.subject, delivery.body, ["ruth@example.com"], "care@shop.example",
    )
    action.refresh_from_db()
    assert action.status == "done"


def test_a_second_delivery_of_the_same_webhook_changes_nothing(client, signing_store, ruth, refill_rule, email_channel):
    payload = order_payload(when=NOW)
    post_signed(client, signing_store, "order_created", payload)
    before = (StoreEvent.objects.count(), RuleFiring.objects.count(), ScheduledAction.objects.count())

    again = post_signed(client, signing_store, "order_created", payload)

    assert again.status_code == 200
    assert (StoreEvent.objects.count(), RuleFiring.objects.count(), ScheduledAction.objects.count()) == before
    sweep(now=NOW + timedelta(days=30))
    assert Delivery.objects.count() == 1 and len(mail.outbox) == 1


def test_a_repurchase_in_the_category_cancels_the_pending_reminder_with_a_reason(client, signing_store, ruth, refill_rule, email_channel):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    first = ScheduledAction.objects.get()

    post_signed(client, signing_store, "order_created", order_payload(when=NOW + timedelta(days=10)))

    first.refresh_from_db()
    assert first.status == "cancelled"
    assert first.cancel_reason == "bought from category 'absorbent' again on 2026-11-11"
    second = ScheduledAction.objects.get(status="pending")
    assert second.due_at == NOW + timedelta(days=35)
    assert sweep(now=NOW + timedelta(days=36)) == {"done": 1}
    assert Delivery.objects.get().action == second


def test_an_order_without_the_category_schedules_nothing(client, signing_store, ruth, refill_rule):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW, lines=[("Walker", "walkers", 1, 99.0)]))
    assert RuleFiring.objects.count() == 0 and ScheduledAction.objects.count() == 0


def test_the_guard_is_rechecked_at_send_time(client, signing_store, ruth, refill_rule, email_channel):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    action = ScheduledAction.objects.get()
    customer = action.customer
    customer.marketing_consent = False
    customer.save()

    assert sweep(now=NOW + timedelta(days=26)) == {"cancelled": 1}
    action.refresh_from_db()
    assert action.cancel_reason == "the customer has no marketing consent for e-mail"
    assert Delivery.objects.count() == 0 and mail.outbox == []


def test_turning_the_rule_off_cancels_at_send_time(client, signing_store, ruth, refill_rule, email_channel):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    refill_rule.enabled = False
    refill_rule.save()

    assert sweep(now=NOW + timedelta(days=26)) == {"cancelled": 1}
    assert ScheduledAction.objects.get().cancel_reason == "rule 'refill-absorbent' was turned off"


def test_customer_facts_count_orders_and_categories(client, signing_store, ruth, refill_rule):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    post_signed(client, signing_store, "order_created", order_payload(
        when=NOW + timedelta(days=3), lines=[("Pads", "absorbent", 1, 20.0), ("Walker", "walkers", 1, 99.0)]))

    customer = StoreEvent.objects.filter(name="order_placed").first().customer
    customer.refresh_from_db()
    assert customer.first_name == "Ruth"
    assert customer.orders_count == 2
    assert float(customer.total_spent) == 159.0
    assert customer.category_counts == {"absorbent": 2, "walkers": 1}
    assert customer.last_bought_category["walkers"].startswith("2026-11-04")
