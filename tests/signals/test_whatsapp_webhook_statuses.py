"""Meta's statuses of the messages Masa sent: stored first as they came, then read by the worker
into the Delivery's status and its message events."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import Delivery, InboundDelivery, StoreEvent

from .whatsapp_meta import (PHONE_NUMBER_ID, post_whatsapp, ruth, sent, status_body,  # noqa: F401 (fixtures)
                            whatsapp_channel)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def events(name=None):
    found = StoreEvent.objects.order_by("pk")
    return list(found.filter(name=name) if name else found)


def test_delivered_is_stored_first_then_makes_the_message_delivered(client, sent):
    response = post_whatsapp(client, sent.channel, status_body("delivered", NOW))

    assert response.status_code == 200 and response.json()["status"] == "accepted"
    stored = InboundDelivery.objects.get()
    assert (stored.source, stored.status, stored.domain) == ("whatsapp", "accepted", "Shop WhatsApp")
    assert '"status": "delivered"' in stored.body and stored.headers["X-Hub-Signature-256"].startswith("sha256=")
    sent.refresh_from_db()
    assert sent.status == "delivered"
    [delivered] = events("message_delivered")
    assert delivered.customer == sent.customer and delivered.occurred_at == NOW and delivered.inbound == stored
    assert delivered.data["delivery"] == sent.idempotency_key and delivered.data["channel"] == "whatsapp"


def test_read_is_an_open_recorded_once_per_message(client, sent):
    post_whatsapp(client, sent.channel, status_body("read", NOW))
    post_whatsapp(client, sent.channel, status_body("read", NOW + timedelta(minutes=1)))  # another body, same message

    assert [event.data["delivery"] for event in events("message_read")] == [sent.idempotency_key]
    assert InboundDelivery.objects.filter(status="accepted").count() == 2
    sent.refresh_from_db()
    assert sent.status == "delivered"


def test_failed_fails_the_message_with_metas_error_in_words_and_bounces(client, sent):
    errors = [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
               "error_data": {"details": "Message Undeliverable."}}]
    post_whatsapp(client, sent.channel, status_body("failed", NOW, errors=errors))

    sent.refresh_from_db()
    assert sent.status == "failed"
    assert sent.error == ("message undeliverable: the number is not on WhatsApp, or cannot receive this message "
                          "(code 131026)")
    [bounced] = events("message_bounced")
    assert bounced.data["reason"] == sent.error and bounced.data["channel"] == "whatsapp"


def test_delivered_never_overrides_a_failure(client, sent):
    post_whatsapp(client, sent.channel, status_body("failed", NOW, errors=[{"code": 131050, "title": "x"}]))
    post_whatsapp(client, sent.channel, status_body("delivered", NOW + timedelta(seconds=5)))

    sent.refresh_from_db()
    assert sent.status == "failed" and "stopped marketing messages" in sent.error


def test_a_status_of_a_message_masa_never_sent_is_accepted_and_changes_nothing(client, sent):
    response = post_whatsapp(client, sent.channel, status_body("read", NOW, wamid="wamid.somebody-elses=="))

    assert response.status_code == 200
    stored = InboundDelivery.objects.get()
    assert stored.status == "accepted" and "did not send" in stored.reason and "nothing changed" in stored.reason
    assert not StoreEvent.objects.exists()
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_another_phone_numbers_events_are_refused_as_not_this_channels(client, sent):
    response = post_whatsapp(client, sent.channel, status_body("delivered", NOW, phone_number_id="999000999000"))

    assert response.status_code == 200  # signed by Meta: stored, and Meta need not retry
    stored = InboundDelivery.objects.get()
    assert stored.status == "failed"
    assert "999000999000" in stored.reason and PHONE_NUMBER_ID in stored.reason
    assert "not this channel's" in stored.reason
    assert not StoreEvent.objects.exists()
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_another_channels_message_with_the_same_id_is_not_this_channels(client, sent, whatsapp_channel):
    second = type(whatsapp_channel).objects.create(
        name="Other WhatsApp", kind="whatsapp", config={"phone_number_id": "555"},
        secrets={"app_secret": "other-secret", "verify_token": "t"})
    Delivery.objects.filter(pk=sent.pk).update(channel=second)

    post_whatsapp(client, whatsapp_channel, status_body("delivered", NOW))

    assert not StoreEvent.objects.exists()
    assert Delivery.objects.get(pk=sent.pk).status == "sent"
