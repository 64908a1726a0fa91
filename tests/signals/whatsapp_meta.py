"""Meta's WhatsApp Cloud API webhooks as Meta sends them (the shapes of Meta's documented examples:
``entry[].changes[].value`` with ``metadata``, ``statuses[]``, ``contacts[]`` and ``messages[]``),
signed with the channel's app secret, and a WhatsApp channel and a message it sent to post them to."""
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest
from django.test import TestCase

from masa.models import Channel, Customer, Delivery

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_NUMBER = "15550783881"
WABA_ID = "102290129340398"
RUTH = "972501234567"  # WhatsApp's wa_id: the number, digits only
SENT_WAMID = "wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSMzQ1QjU4QjdGRTQ0QkJBRjU2AA=="


def unix(at: datetime) -> str:
    return str(int(at.timestamp()))


def envelope(value: dict, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": phone_number_id},
                  **value},
        "field": "messages"}]}]}


def status_body(status: str, at: datetime, wamid: str = SENT_WAMID, errors: list | None = None, **options) -> dict:
    item = {"id": wamid, "status": status, "timestamp": unix(at), "recipient_id": RUTH}
    if status in ("sent", "delivered"):
        item["conversation"] = {"id": "6ceb9d929c7b3ae6b8cd2b9b6e8c0d6e", "origin": {"type": "marketing"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "marketing"}
    if errors:
        item["errors"] = errors
    return envelope({"statuses": [item]}, **options)


def text_message(text: str, at: datetime, wamid: str = "wamid.HBgMOTcyNTAxMjM0NTY3FQIAEhggQjdGNDM1", sender: str = RUTH,
                 context: str | None = None, **options) -> dict:
    message = {"from": sender, "id": wamid, "timestamp": unix(at), "text": {"body": text}, "type": "text"}
    if context:
        message["context"] = {"from": BUSINESS_NUMBER, "id": context}
    return envelope({"contacts": [{"profile": {"name": "Ruth Levi"}, "wa_id": sender}], "messages": [message]},
                    **options)


def button_reply(text: str, payload: str, at: datetime, wamid: str, context: str = SENT_WAMID) -> dict:
    message = {"context": {"from": BUSINESS_NUMBER, "id": context}, "from": RUTH, "id": wamid,
               "timestamp": unix(at), "type": "button", "button": {"text": text, "payload": payload}}
    return envelope({"contacts": [{"profile": {"name": "Ruth Levi"}, "wa_id": RUTH}], "messages": [message]})


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encoded(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def post_whatsapp(client, channel, payload=None, *, body: bytes | None = None, signature: str | None = "sign"):
    """POST as Meta does: the raw body, ``X-Hub-Signature-256`` (``None``: no header)."""
    body = encoded(payload) if body is None else body
    headers = {}
    if signature == "sign":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/masa/webhooks/whatsapp/{channel.pk}/", data=body, content_type="application/json",
                           HTTP_USER_AGENT="facebookexternalua", **headers)


@pytest.fixture
def whatsapp_channel(db):
    return Channel.objects.create(
        name="Shop WhatsApp", kind=Channel.Kind.WHATSAPP,
        config={"phone_number_id": PHONE_NUMBER_ID},
        secrets={"access_token": "EAAG-test", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN})


@pytest.fixture
def ruth(db):
    return Customer.objects.create(email="ruth@example.com", first_name="Ruth", phone="+972 50-123-4567",
                                   whatsapp_consent=True, marketing_consent=True, store="localhost:8000",
                                   store_id="VXNlcjo5OQ==")


@pytest.fixture
def sent(whatsapp_channel, ruth):
    """A WhatsApp message Masa sent Ruth, which Meta accepted as ``SENT_WAMID``."""
    return Delivery.objects.create(
        idempotency_key="send:refill:ruth", channel=whatsapp_channel, customer=ruth, template_key="refill",
        to="+972501234567", body="Time to restock, Ruth?", status=Delivery.Status.SENT,
        provider_message_id=SENT_WAMID, sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
