"""SMS replies as Twilio posts them (an incoming-message webhook: form-encoded, signed with the
account's auth token over the URL and the sorted parameters) and as a generic provider does, to an
SMS channel that sent Ruth a message."""
import base64
import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from django.test import TestCase

from masa.models import Channel, Customer, Delivery

PUBLIC_URL = "https://cms.shop.example"
ACCOUNT_SID = "AC3f0e1b5a2d7c4e9f8a6b1c2d3e4f5a6b"
AUTH_TOKEN = "twilio-auth-token-for-tests"
SHOP_NUMBER = "+97235550100"
RUTH = "+972501234567"
INBOUND_TOKEN = "inbound-token-for-tests-0123456789"


def twilio_form(body: str, sid: str = "SM1f2e3d4c5b6a79880f1e2d3c4b5a6978", sender: str = RUTH, **extra) -> dict:
    """The parameters Twilio posts for one incoming SMS."""
    return {"ToCountry": "IL", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": body,
            "FromCountry": "IL", "To": SHOP_NUMBER, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
            "AccountSid": ACCOUNT_SID, "From": sender, "ApiVersion": "2010-04-01", **extra}


def twilio_sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    signed = url + "".join(name + form[name] for name in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def path(channel) -> str:
    return f"/masa/webhooks/sms/{channel.pk}/"


def post_twilio(client, channel, form: dict, *, signature: str | None = "sign", signed_url: str | None = None):
    """POST as Twilio does; ``signature="sign"``: signed for the channel's URL (or ``signed_url``)."""
    headers = {}
    if signature == "sign":
        headers["HTTP_X_TWILIO_SIGNATURE"] = twilio_sign(signed_url or PUBLIC_URL + path(channel), form)
    elif signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path(channel), data=urlencode(form), content_type="application/x-www-form-urlencoded",
                           HTTP_USER_AGENT="TwilioProxy/1.1", **headers)


def post_generic(client, channel, body: bytes, *, query: str = "", content_type="application/json", **headers):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path(channel) + query, data=body, content_type=content_type, **headers)


@pytest.fixture
def public_url(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
def twilio_channel(db, public_url):
    return Channel.objects.create(
        name="Shop SMS", kind=Channel.Kind.SMS,
        config={"provider": "twilio", "account_sid": ACCOUNT_SID, "from_number": SHOP_NUMBER},
        secrets={"auth_token": AUTH_TOKEN})


@pytest.fixture
def generic_channel(db, public_url):
    return Channel.objects.create(
        name="Agency SMS", kind=Channel.Kind.SMS,
        config={"provider": "http", "url": "https://sms.example/send", "from_number": SHOP_NUMBER},
        secrets={"token": "outbound-key", "inbound_token": INBOUND_TOKEN})


@pytest.fixture
def ruth(db):
    return Customer.objects.create(email="ruth@example.com", first_name="Ruth", phone="+972 50-123-4567",
                                   sms_consent=True, whatsapp_consent=True, marketing_consent=True,
                                   store="localhost:8000", store_id="VXNlcjo5OQ==")


@pytest.fixture
def sent(twilio_channel, ruth):
    """An SMS Masa sent Ruth through Twilio."""
    return Delivery.objects.create(
        idempotency_key="send:refill:ruth:sms", channel=twilio_channel, customer=ruth, template_key="refill",
        to=RUTH, body="Time to restock, Ruth?", status=Delivery.Status.SENT,
        provider_message_id="SMaaaabbbbccccddddeeeeffff00001111",
        sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
