"""Provider feedback through django-anymail's normalized tracking signal."""
from datetime import datetime, timedelta, timezone

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import TestCase

from masa.actions import due as scheduling
from masa.models import Customer, Delivery, ScheduledAction, StoreEvent

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def sent_reminder(client, signing_store, refill_rule, email_channel):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    assert scheduling.sweep(now=NOW + timedelta(days=26)) == {"done": 1}
    return Delivery.objects.get()


def esp_says(delivery, event_type, **extra):
    event = AnymailTrackingEvent(event_type=event_type, message_id=delivery.provider_message_id,
                                 timestamp=NOW, **extra)
    with TestCase.captureOnCommitCallbacks(execute=True):
        tracking.send(sender=object, event=event, esp_name="Postmark")


def test_delivered_then_bounced_update_the_delivery_and_a_bounce_becomes_an_event(sent_reminder):
    esp_says(sent_reminder, "delivered")
    assert Delivery.objects.get().status == "delivered"
    esp_says(sent_reminder, "bounced", description="Mailbox full")
    assert Delivery.objects.get().status == "bounced"
    bounce = StoreEvent.objects.get(name="message_bounced")
    assert bounce.data["reason"] == "Mailbox full" and bounce.data["esp"] == "Postmark"
    assert bounce.data["rule"] == "refill-absorbent" and bounce.status == "processed"


def test_opens_clicks_and_complaints_from_the_esp_become_events_once(sent_reminder):
    for _ in range(2):
        esp_says(sent_reminder, "opened")
    esp_says(sent_reminder, "clicked", click_url="https://shop.example/pads")
    esp_says(sent_reminder, "complained")
    names = sorted(StoreEvent.objects.filter(source="masa").values_list("name", flat=True))
    assert names == ["message_clicked", "message_opened", "message_sent", "unsubscribed"]
    assert StoreEvent.objects.get(name="unsubscribed").data["complaint"] is True, "marked as spam, said as such"
    assert Customer.objects.get().marketing_consent is False


def test_an_unknown_message_id_changes_nothing(sent_reminder):
    event = AnymailTrackingEvent(event_type="bounced", message_id="<someone-else@esp>", timestamp=NOW)
    tracking.send(sender=object, event=event, esp_name="Postmark")
    assert Delivery.objects.get().status == "sent"
    assert not StoreEvent.objects.filter(source="masa").exclude(name="message_sent").exists()


def test_a_delivery_the_esp_already_reported_is_never_sent_again(sent_reminder, mailoutbox):
    esp_says(sent_reminder, "delivered")
    action = ScheduledAction.objects.get()
    ScheduledAction.objects.filter(pk=action.pk).update(status="claimed")
    assert scheduling.dispatch(action.pk, now=NOW + timedelta(days=27)) == "done"
    assert len(mailoutbox) == 1
