"""A due send through a WhatsApp channel, end to end at the httpx edge: the Delivery is stored before
Meta is asked, the message's approved template goes with its rendered parameters (at any time), free
text goes only inside the customer's 24-hour window, and a permanent failure — Masa's own refusal
or Meta's error code — lands on the Delivery in words, without a retry."""
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from masa.actions import due as scheduling
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
WAMID = "wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSMDA="


@pytest.fixture
def due_send(db):
    Channel.objects.create(name="WhatsApp", kind="whatsapp", config={"phone_number_id": "106540352242922"},
                           secrets={"access_token": "EAAG", "app_secret": "a"})
    MessageTemplate.objects.create(key="restock", body="Time to restock, {{ customer.first_name }}?")
    customer = Customer.objects.create(email="ruth@example.com", first_name="Ruth", phone="+972 50-123-4567")
    event = StoreEvent.objects.create(source="django", source_id="o-1", name="order_placed", customer=customer,
                                      occurred_at=T0, status="processed")
    ScheduledAction.objects.create(idempotency_key="restock:1", customer=customer, event=event, step=0, kind="send",
                                   params={"template": "restock", "channel": "whatsapp", "class": "transactional"},
                                   due_at=T0)
    return customer


@pytest.fixture
def meta(provider):
    """Answers as the Cloud API does; records whether the Delivery was stored when Meta was asked."""
    provider.stored_before = []
    provider.answer = httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": WAMID}]})

    def respond(request):
        provider.stored_before.append(Delivery.objects.filter(idempotency_key="restock:1", status="pending").exists())
        return provider.answer
    provider.respond = respond
    return provider


def test_inside_the_window_the_text_goes_after_the_delivery_is_stored(due_send, meta):
    Customer.objects.filter(pk=due_send.pk).update(whatsapp_wrote_at=T0 - timedelta(hours=23))
    scheduling.sweep(now=T0)
    [request] = meta.requests[-1:]
    body = json.loads(request.content)
    assert body["to"] == "972501234567" and body["text"]["body"] == "Time to restock, Ruth?"
    assert meta.stored_before == [True]
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.provider_message_id == WAMID
    assert ScheduledAction.objects.get().status == "done"


def test_the_messages_approved_template_goes_with_its_rendered_parameters_at_any_time(due_send, meta):
    MessageTemplate.objects.create(key="restock", channel_kind="whatsapp", body="Time to restock?",
                                   provider_template={"name": "restock_reminder", "language": "he",
                                                      "variables": ["{{ customer.first_name }}"]})
    scheduling.sweep(now=T0)
    body = json.loads(meta.requests[-1].content)
    assert body["type"] == "template" and body["template"] == {
        "name": "restock_reminder", "language": {"code": "he"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ruth"}]}]}
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.provider_template["parameters"] == ["Ruth"]


def test_outside_the_window_without_a_template_nothing_is_asked_and_the_delivery_says_why(due_send, meta):
    Customer.objects.filter(pk=due_send.pk).update(whatsapp_wrote_at=T0 - timedelta(hours=25))
    requests_before = len(meta.requests)
    scheduling.sweep(now=T0)
    assert len(meta.requests) == requests_before
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.error.startswith("more than 24 hours since the customer last wrote on WhatsApp, and this "
                                     "message has no approved WhatsApp template")
    assert ScheduledAction.objects.get().status == "failed"


def test_metas_permanent_error_lands_on_the_delivery_in_words(due_send, meta):
    Customer.objects.filter(pk=due_send.pk).update(whatsapp_wrote_at=T0 - timedelta(hours=1))
    meta.answer = httpx.Response(400, json={"error": {
        "message": "(#131026) Message undeliverable", "type": "OAuthException", "code": 131026,
        "error_data": {"messaging_product": "whatsapp", "details": "Message Undeliverable."}}})
    scheduling.sweep(now=T0)
    assert meta.stored_before == [True]
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "not on WhatsApp" in delivery.error
    assert delivery.error.endswith("(code 131026)")
    assert Channel.objects.get().last_error == delivery.error
