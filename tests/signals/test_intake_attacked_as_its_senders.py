"""The WhatsApp and SMS reply webhooks attacked as each of their real senders would: Meta (a body
of a shape Masa did not expect, statuses reordered), a customer (a number two stores share), and a
stranger (a token in the address, a database outage). Each test names what it proves."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from example_site.celery import app
from masa.models import Customer, Delivery, InboundDelivery, StoreEvent
from masa.signals import inbound

from .test_database_outage import through_proxy  # noqa: F401
from .sms_twilio import (INBOUND_TOKEN, generic_channel, post_generic, public_url,  # noqa: F401
                         twilio_channel)
from .whatsapp_meta import (RUTH, SENT_WAMID, encoded, envelope, post_whatsapp, ruth, sent,  # noqa: F401
                            status_body, text_message, whatsapp_channel)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


@pytest.fixture
def nobody_reading(settings):
    settings.MASA = {**settings.MASA, "WORKER": "embedded"}
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def other_store_customer(db):
    """Store B's customer with Ruth's number (the same person, or whoever typed it)."""
    return Customer.objects.create(email="r.levi@other.example", phone="+972501234567", whatsapp_consent=True,
                                   sms_consent=True, marketing_consent=True, store="other-shop.example",
                                   store_id="VXNlcjoy")


def odd_message(**fields) -> dict:
    return envelope({"messages": [{"from": RUTH, "id": "wamid.odd", "timestamp": str(int(NOW.timestamp())),
                                   **fields}]})


@pytest.mark.parametrize("fields", [
    {"type": "text", "text": "a string where Meta sends an object"},
    {"type": "button", "button": ["not", "an", "object"]},
    {"type": "interactive", "interactive": {"button_reply": "yes"}},
    {"type": "system", "system": 7},
])
def test_a_signed_body_of_an_unexpected_shape_fails_in_words_and_blocks_no_other(client, sent, ruth, fields,
                                                                                 nobody_reading):
    post_whatsapp(client, sent.channel, odd_message(**fields))
    post_whatsapp(client, sent.channel, status_body("delivered", NOW))

    inbound.read()

    odd, good = InboundDelivery.objects.order_by("pk")
    assert odd.status == "failed" and odd.body and "could not be read" in odd.reason
    assert good.status == "accepted"
    assert list(StoreEvent.objects.values_list("name", flat=True)) == ["message_delivered"]


def test_a_metadata_that_is_no_object_fails_in_words(client, sent, nobody_reading):
    payload = status_body("read", NOW)
    payload["entry"][0]["changes"][0]["value"]["metadata"] = "106540352242922"
    post_whatsapp(client, sent.channel, payload)

    inbound.read()

    assert InboundDelivery.objects.get().status == "failed"


def test_a_stop_on_whatsapp_withdraws_whatsapp_consent_of_every_customer_with_the_number(
        client, sent, ruth, other_store_customer):
    post_whatsapp(client, sent.channel, text_message("STOP", NOW, context=SENT_WAMID))

    ruth.refresh_from_db()
    other_store_customer.refresh_from_db()
    assert ruth.whatsapp_consent is False and other_store_customer.whatsapp_consent is False
    assert other_store_customer.sms_consent is True and other_store_customer.marketing_consent is True
    assert StoreEvent.objects.filter(name="message_replied").get().customer_id == ruth.pk


def test_metas_marketing_opt_out_withdraws_whatsapp_consent_of_every_customer_with_the_number(
        client, sent, ruth, other_store_customer):
    post_whatsapp(client, sent.channel, envelope({"user_preferences": [{
        "wa_id": RUTH, "detail": "User requested to stop marketing messages", "category": "marketing_messages",
        "value": "stop", "timestamp": int(NOW.timestamp())}]}))

    ruth.refresh_from_db()
    other_store_customer.refresh_from_db()
    assert ruth.whatsapp_consent is False and other_store_customer.whatsapp_consent is False


def test_a_reply_opens_the_window_of_every_customer_with_the_number_but_is_only_the_answering_ones(
        client, sent, ruth, other_store_customer):
    post_whatsapp(client, sent.channel, text_message("Yes please", NOW, context=SENT_WAMID))

    ruth.refresh_from_db()
    other_store_customer.refresh_from_db()
    assert ruth.whatsapp_wrote_at == NOW and other_store_customer.whatsapp_wrote_at == NOW
    assert other_store_customer.whatsapp_consent is True
    assert StoreEvent.objects.get().customer_id == ruth.pk


def test_a_failure_after_meta_said_delivered_is_no_bounce(client, sent):
    post_whatsapp(client, sent.channel, status_body("delivered", NOW))
    post_whatsapp(client, sent.channel, status_body("read", NOW + timedelta(seconds=5)))
    post_whatsapp(client, sent.channel, status_body("failed", NOW + timedelta(seconds=9), errors=[
        {"code": 131026, "title": "Message undeliverable"}]))

    sent.refresh_from_db()
    assert sent.status == "delivered" and not sent.error
    assert sorted(StoreEvent.objects.values_list("name", flat=True)) == ["message_delivered", "message_read"]
    assert "after" in InboundDelivery.objects.order_by("pk").last().reason


def test_read_before_delivered_and_the_same_status_twice_count_once(client, sent):
    post_whatsapp(client, sent.channel, status_body("read", NOW + timedelta(seconds=5)))
    post_whatsapp(client, sent.channel, status_body("delivered", NOW))
    body = status_body("read", NOW + timedelta(seconds=5))
    body["entry"][0]["id"] = "another-entry-id"  # the same status in another body
    post_whatsapp(client, sent.channel, body)

    sent.refresh_from_db()
    assert sent.status == "delivered"
    assert sorted(StoreEvent.objects.values_list("name", flat=True)) == ["message_delivered", "message_read"]


def test_a_wrong_token_in_the_address_is_kept_in_no_recorded_row(client, generic_channel, ruth):
    guess = "guessed-token-0123456789"
    response = post_generic(client, generic_channel, json.dumps({"from": "+972501234567", "text": "hi"}).encode(),
                            query=f"?token={guess}")

    assert response.status_code == 401
    row = InboundDelivery.objects.get()
    assert guess not in json.dumps([row.reason, row.headers, row.body, row.domain, row.event_type])
    assert INBOUND_TOKEN not in json.dumps([row.reason, row.headers, response.content.decode()])


@pytest.mark.django_db(transaction=True)
def test_whatsapp_and_sms_intake_answer_503_while_postgres_is_gone(sent, generic_channel, through_proxy):
    client = Client()
    through_proxy.cut()

    posted = post_whatsapp(client, sent.channel, status_body("read", NOW))
    challenged = client.get(f"/masa/webhooks/whatsapp/{sent.channel.pk}/", {
        "hub.mode": "subscribe", "hub.verify_token": "verify-token-for-tests", "hub.challenge": "1158201444"})
    replied = post_generic(client, generic_channel, b'{"from": "+972501234567", "text": "hi", "id": "m1"}',
                           HTTP_AUTHORIZATION=f"Bearer {INBOUND_TOKEN}")

    assert [posted.status_code, challenged.status_code, replied.status_code] == [503, 503, 503]
    assert posted["Retry-After"] == "30" and replied["Retry-After"] == "30"
    connection.close()
    through_proxy.restore()
    assert post_whatsapp(client, sent.channel, status_body("read", NOW)).json()["status"] == "accepted"


def test_a_signature_header_with_characters_no_hex_has_is_refused_not_an_error(client, sent):
    body = encoded(status_body("read", NOW))

    response = post_whatsapp(client, sent.channel, body=body, signature="sha256=\u00e9\u00e9")

    assert response.status_code == 401 and response.json()["error"] == "whatsapp_bad_signature"
    assert InboundDelivery.objects.get().status == "rejected"


def test_a_channel_without_a_verify_token_answers_no_challenge_even_to_an_empty_token(client, whatsapp_channel):
    whatsapp_channel.secrets = {"access_token": "EAAG-test", "app_secret": "meta-app-secret-for-tests"}
    whatsapp_channel.save()
    url = f"/masa/webhooks/whatsapp/{whatsapp_channel.pk}/"

    response = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1158201444"})

    assert response.status_code == 403 and b"1158201444" not in response.content
    assert InboundDelivery.objects.get().reason.startswith("whatsapp_bad_verify_token")
    assert client.get("/masa/webhooks/whatsapp/1e3/", {"hub.mode": "subscribe"}).status_code == 404


@pytest.mark.parametrize("kind", ["whatsapp", "sms"])
def test_a_channel_id_past_any_integer_column_is_not_found_and_recorded(client, kind):
    channel_id = "9" * 40

    response = client.post(f"/masa/webhooks/{kind}/{channel_id}/", data=b"{}", content_type="application/json")

    assert response.status_code == 404
    row = InboundDelivery.objects.get()
    assert row.status == "rejected" and len(row.event_type) <= 64
