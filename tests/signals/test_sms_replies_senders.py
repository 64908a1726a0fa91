"""Who can post to an SMS channel's reply address: only Twilio's signature of this URL and form with
the channel's auth token and account, or a generic provider with the channel's token for replies;
everything else is refused and recorded without its body, and changes no consent."""
import json

import pytest

from masa.models import Channel, InboundDelivery, StoreEvent

from .sms_twilio import (INBOUND_TOKEN, PUBLIC_URL, RUTH, generic_channel, path, post_generic,  # noqa: F401
                         post_twilio, public_url, ruth, sent, twilio_channel, twilio_form, twilio_sign)

pytestmark = pytest.mark.django_db


def refusal(code: str) -> InboundDelivery:
    row = InboundDelivery.objects.get()
    assert row.status == "rejected" and row.source == "sms" and row.body == ""
    assert row.reason.startswith(code)
    return row


def consent_kept(ruth) -> None:
    ruth.refresh_from_db()
    assert ruth.sms_consent is True and not StoreEvent.objects.exists()


def test_a_forged_signature_is_refused(client, sent, ruth):
    response = post_twilio(client, sent.channel, twilio_form("STOP"), signature="bm90IHR3aWxpbw==")

    assert response.status_code == 401 and response.json()["error"] == "sms_bad_signature"
    refusal("sms_bad_signature")
    consent_kept(ruth)


def test_a_signature_made_with_another_auth_token_is_refused(client, sent, ruth):
    form = twilio_form("STOP")

    response = post_twilio(client, sent.channel, form,
                           signature=twilio_sign(PUBLIC_URL + path(sent.channel), form, token="a-guess"))

    assert response.status_code == 401
    consent_kept(ruth)


def test_a_signature_for_another_url_is_refused(client, sent, ruth):
    other = Channel.objects.create(name="Other SMS", kind=Channel.Kind.SMS, config=sent.channel.config,
                                   secrets=sent.channel.secrets)

    response = post_twilio(client, sent.channel, twilio_form("STOP"), signed_url=PUBLIC_URL + path(other))

    assert response.status_code == 401
    consent_kept(ruth)


def test_a_changed_parameter_is_refused(client, sent, ruth):
    form = twilio_form("Yes please")
    signature = twilio_sign(PUBLIC_URL + path(sent.channel), form)

    response = post_twilio(client, sent.channel, {**form, "Body": "STOP"}, signature=signature)

    assert response.status_code == 401
    consent_kept(ruth)


def test_an_unsigned_request_is_refused(client, sent, ruth):
    response = post_twilio(client, sent.channel, twilio_form("STOP"), signature=None)

    assert response.status_code == 401
    refusal("sms_missing_signature")
    consent_kept(ruth)


def test_another_twilio_account_is_refused(client, sent, ruth):
    response = post_twilio(client, sent.channel, twilio_form("STOP", AccountSid="AC00000000000000000000000000000000"))

    assert response.status_code == 403
    refusal("sms_other_account")
    consent_kept(ruth)


def test_an_oversized_body_is_refused(client, sent, ruth, settings):
    settings.MASA = {**settings.MASA, "MAX_WEBHOOK_BYTES": 2000}

    response = post_twilio(client, sent.channel, twilio_form("STOP " + "x" * 3000))

    assert response.status_code == 413
    refusal("sms_too_large")
    consent_kept(ruth)


@pytest.mark.parametrize("which", ["unknown", "disabled", "whatsapp"])
def test_a_channel_that_is_not_an_sms_channel_that_is_on_is_404(client, sent, ruth, which):
    channel = sent.channel
    if which == "unknown":
        channel = Channel(pk=channel.pk + 100)
    elif which == "disabled":
        Channel.objects.filter(pk=channel.pk).update(enabled=False)
    else:
        channel = Channel.objects.create(name="WhatsApp", kind=Channel.Kind.WHATSAPP,
                                         secrets={"app_secret": "s", "verify_token": "v"})

    response = post_twilio(client, channel, twilio_form("STOP"))

    assert response.status_code == 404
    consent_kept(ruth)


def test_a_get_is_not_allowed(client, sent):
    assert client.get(path(sent.channel)).status_code == 405


def generic_body(text="STOP", sender=RUTH, message_id="msg-1") -> bytes:
    return json.dumps({"from": sender, "text": text, "id": message_id}).encode()


def test_a_generic_provider_with_its_bearer_token_is_stored_and_read(client, generic_channel, ruth):
    response = post_generic(client, generic_channel, generic_body(), HTTP_AUTHORIZATION=f"Bearer {INBOUND_TOKEN}")

    assert response.status_code == 200 and response.json()["status"] == "accepted"
    ruth.refresh_from_db()
    assert ruth.sms_consent is False and ruth.marketing_consent is True and ruth.whatsapp_consent is True


def test_a_generic_provider_may_give_the_token_in_the_address_and_post_a_form(client, generic_channel, ruth):
    response = post_generic(client, generic_channel, b"from=%2B972501234567&text=Thanks&id=m-7",
                            query=f"?token={INBOUND_TOKEN}", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    event = StoreEvent.objects.get()
    assert event.name == "message_replied" and event.data["text"] == "Thanks" and event.data["channel"] == "sms"


def test_an_agency_names_the_generic_providers_fields(client, generic_channel, ruth):
    generic_channel.config = {**generic_channel.config, "inbound_from_field": "msisdn",
                              "inbound_text_field": "message", "inbound_id_field": "messageId"}
    generic_channel.save()
    body = json.dumps({"msisdn": "972501234567", "message": "הסר", "messageId": 42}).encode()

    post_generic(client, generic_channel, body, HTTP_AUTHORIZATION=f"Bearer {INBOUND_TOKEN}")

    ruth.refresh_from_db()
    assert ruth.sms_consent is False


@pytest.mark.parametrize("headers, code", [({}, "sms_missing_token"),
                                           ({"HTTP_AUTHORIZATION": "Bearer a-guess"}, "sms_bad_token"),
                                           ({"HTTP_AUTHORIZATION": f"Basic {INBOUND_TOKEN}"}, "sms_missing_token")])
def test_a_generic_provider_without_its_token_is_refused(client, generic_channel, ruth, headers, code):
    response = post_generic(client, generic_channel, generic_body(), **headers)

    assert response.status_code == 401 and response.json()["error"] == code
    refusal(code)
    consent_kept(ruth)


def test_a_generic_channel_without_a_token_for_replies_accepts_nothing(client, generic_channel, ruth):
    generic_channel.secrets = {"token": "outbound-key"}
    generic_channel.save()

    response = post_generic(client, generic_channel, generic_body(), HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 401
    consent_kept(ruth)


def test_a_generic_replay_of_the_same_id_is_stored_once(client, generic_channel, ruth):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {INBOUND_TOKEN}"}
    post_generic(client, generic_channel, generic_body("Thanks"), **auth)
    again = post_generic(client, generic_channel, generic_body("Thanks"), **auth)

    assert again.json()["status"] == "duplicate"
    assert InboundDelivery.objects.count() == 1 and StoreEvent.objects.count() == 1
