"""Issue 4's whole path: order → refill rule → voucher created in Saleor → SMS with the code and a
tracked link → the customer clicks → a follow-up rule that depends on the click sends an email.
Saleor and the SMS provider are faked at the httpx transport only."""
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from django.test import TestCase

from masa.actions import due as scheduling
from masa.models import Channel, Customer, MessageTemplate, Rule, ScheduledAction, StoreEvent
from masa.saleor.actions import voucher_code

from ..helpers import post_signed
from ..helpers import order_payload
from ..saleor_fake import VOUCHER_ANSWERS

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def test_order_voucher_sms_click_follow_up(client, signing_store, provider, email_channel, settings, saleor_app,
                                           mailoutbox):
    saleor = saleor_app(**VOUCHER_ANSWERS)
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    Channel.objects.create(name="SMS", kind="sms", config={"url": "https://sms.example.com/send"})
    MessageTemplate.objects.create(
        key="refill-sms", body="{{ customer.first_name }}, pads running low? {{ voucher.code }} = "
                               "{{ voucher.value }}% off: https://shop.example/pads")
    MessageTemplate.objects.create(key="clicked-thanks", subject="Your code is waiting",
                                   body="Your code is still good, {{ customer.first_name }}.")
    Rule.objects.create(rule_id="refill-sms", title="Refill by SMS with a voucher", definition={
        "trigger": {"event": "order_placed", "category": "absorbent"},
        "steps": [{"wait": "25d"}, {"check": {"not_bought_since": {"category": "absorbent"}}},
                  {"send": {"channel": "sms", "template": "refill-sms",
                            "voucher": {"value": 10, "channel": "default-channel", "valid_days": 14}}}]})
    Rule.objects.create(rule_id="clicked-follow-up", title="Clicked the refill SMS", definition={
        "trigger": {"event": "message_clicked"},
        "steps": [{"wait": "1d"}, {"send": {"channel": "email", "template": "clicked-thanks"}}]})

    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    Customer.objects.update(phone="+972501234567", first_name="Ruth", sms_consent=True)  # a marketing SMS needs it
    due = NOW + timedelta(days=25, minutes=1)
    assert scheduling.sweep(now=due) == {"done": 1}

    code = voucher_code(ScheduledAction.objects.get(rule__rule_id="refill-sms").idempotency_key)
    assert saleor.operations() == ["Channel", "VoucherCreate", "VoucherChannelListingUpdate"]
    text = json.loads(provider.requests[0].content)["text"]
    assert text.startswith(f"Ruth, pads running low? {code} = 10% off: https://cms.shop.example/masa/t/c/")

    link = text.rsplit(" ", 1)[1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(urlparse(link).path)
    assert response.status_code == 302 and response["Location"] == "https://shop.example/pads"
    clicked = StoreEvent.objects.get(name="message_clicked")
    assert clicked.status == "processed" and clicked.data["rule"] == "refill-sms"

    follow_up = ScheduledAction.objects.get(rule__rule_id="clicked-follow-up")
    assert scheduling.sweep(now=follow_up.due_at) == {"done": 1}
    assert [m.subject for m in mailoutbox] == ["Your code is waiting"]
