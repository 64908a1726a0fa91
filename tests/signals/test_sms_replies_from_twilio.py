"""A customer's SMS reply through Twilio: stored first and answered with empty TwiML, then read as
``message_replied`` of the latest SMS to the number; a STOP word (or Twilio's ``OptOutType=STOP``)
withdraws SMS consent only; START gives nothing."""
import pytest

from masa.models import Customer, InboundDelivery, StoreEvent

from .sms_twilio import RUTH, post_twilio, public_url, ruth, sent, twilio_channel, twilio_form  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_reply_is_answered_with_empty_twiml_and_is_the_latest_sms_to_the_number(client, sent, ruth):
    response = post_twilio(client, sent.channel, twilio_form("Yes please, the same as last time"))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    row = InboundDelivery.objects.get()
    assert row.source == "sms" and row.status == "accepted"
    event = StoreEvent.objects.get()
    assert event.name == "message_replied" and event.customer_id == ruth.pk
    assert event.data["channel"] == "sms" and event.data["delivery"] == sent.idempotency_key
    assert event.data["text"] == "Yes please, the same as last time"


@pytest.mark.parametrize("words", ["STOP", " stop ", "Unsubscribe", "END", "QUIT", "StopAll", "CANCEL", "עצור",
                                   "הסרה"])
def test_a_stop_word_withdraws_sms_consent_only(client, sent, ruth, words):
    post_twilio(client, sent.channel, twilio_form(words))

    ruth.refresh_from_db()
    assert ruth.sms_consent is False
    assert ruth.marketing_consent is True and ruth.whatsapp_consent is True
    unsubscribed = StoreEvent.objects.get(name="unsubscribed")
    assert unsubscribed.data["channel"] == "sms"


def test_twilios_opt_out_type_withdraws_sms_consent(client, sent, ruth):
    post_twilio(client, sent.channel, twilio_form("stop sending me these", OptOutType="STOP"))

    ruth.refresh_from_db()
    assert ruth.sms_consent is False and ruth.marketing_consent is True


def test_a_sentence_with_stop_in_it_is_only_a_reply(client, sent, ruth):
    post_twilio(client, sent.channel, twilio_form("please don't stop, I love these"))

    ruth.refresh_from_db()
    assert ruth.sms_consent is True
    assert list(StoreEvent.objects.values_list("name", flat=True)) == ["message_replied"]


def test_start_gives_no_consent(client, sent, ruth):
    ruth.sms_consent = False
    ruth.save()

    post_twilio(client, sent.channel, twilio_form("START", OptOutType="START"))

    ruth.refresh_from_db()
    assert ruth.sms_consent is False
    assert list(StoreEvent.objects.values_list("name", flat=True)) == ["message_replied"]


def test_a_stop_from_a_shared_number_withdraws_every_holders_sms_consent(client, sent, ruth):
    partner = Customer.objects.create(email="dan@example.com", phone="+97250 123 4567",
                                      sms_consent=True, marketing_consent=True, store="localhost:8000",
                                      store_id="VXNlcjoxMDA=")

    post_twilio(client, sent.channel, twilio_form("STOP"))

    partner.refresh_from_db()
    ruth.refresh_from_db()
    assert ruth.sms_consent is False and partner.sms_consent is False
    assert partner.marketing_consent is True
    assert StoreEvent.objects.filter(name="message_replied").get().customer_id == ruth.pk


def test_a_replayed_message_sid_is_stored_once(client, sent):
    form = twilio_form("Yes please")

    first = post_twilio(client, sent.channel, form)
    again = post_twilio(client, sent.channel, {**form, "SmsStatus": "received", "NumSegments": "1"})
    retried = post_twilio(client, sent.channel, {**form, "Body": "Yes please!!"})

    assert first.status_code == again.status_code == retried.status_code == 200
    assert InboundDelivery.objects.count() == 1
    assert StoreEvent.objects.filter(name="message_replied").count() == 1


def test_a_number_nobody_has_is_noted_and_changes_nothing(client, twilio_channel, ruth):
    post_twilio(client, twilio_channel, twilio_form("STOP", sender="+15005550006"))

    ruth.refresh_from_db()
    assert ruth.sms_consent is True and not StoreEvent.objects.exists()
    assert "no customer has" in InboundDelivery.objects.get().reason


def test_a_reply_is_kept_as_plain_text_of_at_most_1000_characters(client, sent):
    post_twilio(client, sent.channel, twilio_form("<b>hi</b>\x00" + "א" * 2000))

    text = StoreEvent.objects.get().data["text"]
    assert text.startswith("<b>hi</b>א") and len(text) == 1000
    assert RUTH not in text


def test_a_stop_reaches_the_customer_messaged_at_the_number_whose_phone_changed_since(client, sent, ruth):
    Customer.objects.filter(pk=ruth.pk).update(phone="+972521111111")

    post_twilio(client, sent.channel, twilio_form("STOP"))

    ruth.refresh_from_db()
    assert ruth.sms_consent is False


def test_a_sender_that_is_no_phone_number_is_noted_and_changes_nothing(client, sent, ruth):
    post_twilio(client, sent.channel, twilio_form("STOP", sender="ShopAlerts"))

    ruth.refresh_from_db()
    row = InboundDelivery.objects.get()
    assert ruth.sms_consent is True and row.status == "accepted" and "not a phone number" in row.reason
