"""A customer's WhatsApp messages: the number opens the 24-hour window for everyone with it, the
reply is the customer's of the message it answers, once per message id; STOP withdraws WhatsApp."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import Customer, Delivery, InboundDelivery, StoreEvent

from .whatsapp_meta import (RUTH, SENT_WAMID, button_reply, envelope, post_whatsapp, ruth, sent,  # noqa: F401
                            text_message, unix, whatsapp_channel)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def test_a_reply_opens_the_window_for_the_number_and_is_the_quoted_messages(client, sent, ruth):
    brother = Customer.objects.create(email="dan@example.com", phone="+972-50-123-4567")   # shares the number
    other = Customer.objects.create(email="noa@example.com", phone="+972 52 765 4321")

    response = post_whatsapp(client, sent.channel, text_message("Yes please, same as last time", NOW,
                                                                 context=SENT_WAMID))

    assert response.status_code == 200
    for customer in (ruth, brother):
        customer.refresh_from_db()
        assert customer.whatsapp_wrote_at == NOW
    other.refresh_from_db()
    assert other.whatsapp_wrote_at is None
    [replied] = StoreEvent.objects.filter(name="message_replied")
    assert replied.customer == ruth and replied.occurred_at == NOW
    assert replied.data["delivery"] == sent.idempotency_key and replied.data["channel"] == "whatsapp"
    assert replied.data["text"] == "Yes please, same as last time" and replied.data["template"] == "refill"
    assert replied.inbound == InboundDelivery.objects.get()


def test_the_window_only_moves_later(client, sent, ruth):
    later = NOW + timedelta(minutes=5)
    Customer.objects.filter(pk=ruth.pk).update(whatsapp_wrote_at=later)

    post_whatsapp(client, sent.channel, text_message("an old message, delivered late", NOW, wamid="wamid.old"))

    ruth.refresh_from_db()
    assert ruth.whatsapp_wrote_at == later
    assert StoreEvent.objects.filter(name="message_replied").count() == 1


def test_a_reply_without_a_quote_is_the_latest_whatsapp_message_to_the_number(client, sent, ruth):
    newer = Delivery.objects.create(idempotency_key="send:welcome:ruth", channel=sent.channel, customer=ruth,
                                    to="972501234567", body="Welcome", status="sent", provider_message_id="wamid.new")

    post_whatsapp(client, sent.channel, text_message("thanks!", NOW))

    assert StoreEvent.objects.get(name="message_replied").data["delivery"] == newer.idempotency_key


def test_a_message_with_no_message_to_answer_is_the_customer_with_the_number(client, whatsapp_channel, ruth):
    post_whatsapp(client, whatsapp_channel, text_message("Do you have size L?", NOW))

    replied = StoreEvent.objects.get(name="message_replied")
    assert replied.customer == ruth and replied.data["delivery"] == "" and replied.data["text"] == "Do you have size L?"


def test_of_several_customers_with_the_number_the_most_recently_messaged_gets_it(client, whatsapp_channel, ruth,
                                                                                   email_channel):
    dan = Customer.objects.create(email="dan@example.com", phone="00972501234567")
    Delivery.objects.create(idempotency_key="mail:dan", channel=email_channel, customer=dan, to=dan.email, body="Hi",
                            status="sent")

    post_whatsapp(client, whatsapp_channel, text_message("who is this?", NOW))

    assert StoreEvent.objects.get(name="message_replied").customer == dan


def test_a_message_from_a_number_nobody_has_is_recorded_as_unmatched_and_nothing_else(client, whatsapp_channel, ruth):
    response = post_whatsapp(client, whatsapp_channel, text_message("hello?", NOW, sender="447700900123"))

    assert response.status_code == 200
    stored = InboundDelivery.objects.get()
    assert stored.status == "accepted" and "unmatched" in stored.reason
    assert not StoreEvent.objects.exists()
    assert not Customer.objects.exclude(pk=ruth.pk).exists()
    ruth.refresh_from_db()
    assert ruth.whatsapp_wrote_at is None


@pytest.mark.parametrize("words", ["STOP", "  stop ", "Unsubscribe", "עצור", "הסר", "הסרה"])
def test_a_stop_reply_unsubscribes_from_whatsapp(client, sent, ruth, words):
    post_whatsapp(client, sent.channel, text_message(words, NOW, context=SENT_WAMID))

    [unsubscribed] = StoreEvent.objects.filter(name="unsubscribed")
    assert unsubscribed.customer == ruth and unsubscribed.data["channel"] == "whatsapp"
    assert unsubscribed.data["delivery"] == sent.idempotency_key
    assert StoreEvent.objects.filter(name="message_replied").count() == 1


def test_a_sentence_with_stop_in_it_is_only_a_reply(client, sent):
    post_whatsapp(client, sent.channel, text_message("please don't stop sending these", NOW))

    assert not StoreEvent.objects.filter(name="unsubscribed").exists()


def test_metas_marketing_opt_out_button_unsubscribes(client, sent):
    post_whatsapp(client, sent.channel, button_reply("Stop promotions", "Stop promotions", NOW, "wamid.button"))

    assert StoreEvent.objects.get(name="unsubscribed").data["channel"] == "whatsapp"
    assert StoreEvent.objects.get(name="message_replied").data["text"] == "Stop promotions"


def test_metas_stop_marketing_preference_unsubscribes(client, sent, ruth):
    body = envelope({"contacts": [{"wa_id": RUTH}], "user_preferences": [{
        "wa_id": RUTH, "detail": "User requested to stop marketing messages", "category": "marketing_messages",
        "value": "stop", "timestamp": int(unix(NOW))}]})
    body["entry"][0]["changes"][0]["field"] = "user_preferences"

    post_whatsapp(client, sent.channel, body)

    unsubscribed = StoreEvent.objects.get(name="unsubscribed")
    assert unsubscribed.customer == ruth and unsubscribed.data["channel"] == "whatsapp"
    assert not StoreEvent.objects.filter(name="message_replied").exists()


def test_a_reply_is_kept_as_plain_text_of_at_most_1000_characters(client, sent):
    post_whatsapp(client, sent.channel, text_message("<b>hi</b>\u0000" + "x" * 2000, NOW))

    text = StoreEvent.objects.get(name="message_replied").data["text"]
    assert text.startswith("<b>hi</b>x") and len(text) == 1000 and "\u0000" not in text


def test_metas_system_message_of_a_stopped_preference_unsubscribes_but_opens_no_window(client, sent, ruth):
    system = {"from": RUTH, "id": "wamid.system", "timestamp": unix(NOW), "type": "system",
              "system": {"body": "User requested to stop marketing messages", "marketing": "stop",
                         "type": "user_preference_changed"}}

    post_whatsapp(client, sent.channel, envelope({"contacts": [{"wa_id": RUTH}], "messages": [system]}))

    assert StoreEvent.objects.get(name="unsubscribed").data["channel"] == "whatsapp"
    assert not StoreEvent.objects.filter(name="message_replied").exists()
    ruth.refresh_from_db()
    assert ruth.whatsapp_wrote_at is None


def test_a_stop_reply_withdraws_whatsapp_consent_and_keeps_email(client, sent, ruth):
    post_whatsapp(client, sent.channel, text_message("עצור", NOW, context=SENT_WAMID))

    ruth.refresh_from_db()
    assert ruth.whatsapp_consent is False and ruth.marketing_consent is True
