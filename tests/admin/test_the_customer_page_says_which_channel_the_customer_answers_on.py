"""The customer page says, per channel, what the customer did with Masa's messages and where the
next message on their preferred channel would go, and the timeline says why each preferred send
went where it went (issue 32, seed 003 item 6) — in words, no codes."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.models import Channel, Customer, Delivery, Rule, ScheduledAction, StoreEvent

from ..helpers import viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ruth(db):
    Channel.objects.create(name="Shop email", kind="email", config={"from_email": "care@shop.example"})
    whatsapp = Channel.objects.create(name="Shop WhatsApp", kind="whatsapp", config={"phone_number_id": "1"})
    Channel.objects.create(name="Shop SMS", kind="sms", config={"url": "https://sms.example.com/send"})
    ruth = Customer.objects.create(store_id="VXNlcjo5OQ==", email="ruth@example.com", phone="+972501234567",
                                   first_name="Ruth", marketing_consent=True, whatsapp_consent=True)
    email = Channel.objects.get(kind="email")
    for channel, sent, answered, answer in ((whatsapp, 10, 9, "message_read"), (email, 6, 1, "message_opened")):
        for number in range(sent):
            key = f"{channel.kind}-{number}"
            Delivery.objects.create(idempotency_key=key, channel=channel, customer=ruth, to="x", body="b",
                                    status="sent")
            if number < answered:
                StoreEvent.objects.create(source="t", source_id=key, name=answer, customer=ruth,
                                          occurred_at=timezone.now(), data={"delivery": key})
    return ruth


def page(client, customer) -> str:
    client.force_login(viewer())
    return client.get(reverse("masa_customer", args=[customer.pk])).content.decode()


def test_each_channel_in_words_and_where_the_next_message_would_go(client, ruth):
    text = page(client, ruth)
    section = text[text.index('class="masa-channels"'):]
    section = section[:section.index("</div>")]
    assert "Answers best on WhatsApp" in section
    assert "WhatsApp:</span>\n      <span>read 9 of 10" in section
    assert "Email:</span>\n      <span>opened 1 of 6" in section
    assert "SMS:</span>\n      <span>no messages yet" in section
    assert "no consent for marketing" in section
    assert ("A message on the channel the customer answers best would go on WhatsApp now: the customer reads 9 of 10 "
            "WhatsApp messages and opens 1 of 6 emails") in section
    assert "SMS passed over: no consent for it" in section
    for code in ("no_consent", "better_response", "whatsapp:", "{"):
        assert code not in section


def send(ruth, key, choice, status, **more) -> ScheduledAction:
    rule = Rule.objects.get_or_create(rule_id="refill", defaults={"title": "Refill", "definition": {}})[0]
    event = StoreEvent.objects.create(source="t", source_id=f"order-{key}", name="order_placed", customer=ruth,
                                      occurred_at=timezone.now() - timedelta(hours=1), data={"order_id": key})
    return ScheduledAction.objects.create(
        idempotency_key=key, rule=rule, customer=ruth, event=event, step=0, kind="send", due_at=timezone.now(),
        status=status, channel_choice=choice, completed_at=timezone.now(),
        params={"channel": "preferred", "channels": ["whatsapp", "sms", "email"], "template": "refill",
                "class": "marketing"}, **more)


def test_the_timeline_says_why_a_preferred_message_went_on_its_channel(client, ruth):
    action = send(ruth, "went", {"chosen": "Shop WhatsApp", "kind": "whatsapp", "arm": "preferred",
                                 "reason": "better_response", "rates": {"email": [1, 6], "whatsapp": [9, 10]},
                                 "passed_over": {"sms": "no_consent"}}, "done")
    Delivery.objects.create(idempotency_key="went", action=action, channel=Channel.objects.get(kind="whatsapp"),
                            customer=ruth, to="+972501234567", body="Time to restock, Ruth", status="sent",
                            sent_at=timezone.now())
    text = page(client, ruth)
    timeline = text[text.index('class="masa-story"'):]
    assert ("Sent on WhatsApp: the customer reads 9 of 10 WhatsApp messages and opens 1 of 6 emails"
            in timeline)
    assert "SMS passed over: no consent for it" in timeline


def test_the_timeline_says_why_a_preferred_message_could_go_nowhere(client, ruth):
    send(ruth, "nowhere", {"chosen": "", "kind": "", "arm": "preferred", "reason": "", "rates": {},
                           "passed_over": {"email": "no_consent", "sms": "no_phone", "whatsapp": "no_channel"}},
         "cancelled", cancel_reason="no listed channel can reach the customer: …")
    text = page(client, ruth)
    text = text[text.index('class="masa-story"'):]
    said = text.index("Not sent: none of the listed channels can reach the customer")
    order = [text.index(words, said) for words in ("WhatsApp passed over: no such channel is set up and switched on",
                                                   "SMS passed over: no phone number",
                                                   "Email passed over: no consent for it")]
    assert order == sorted(order)


def test_the_comparison_group_is_named_on_the_timeline(client, ruth):
    action = send(ruth, "default", {"chosen": "Shop email", "kind": "email", "arm": "default",
                                    "reason": "comparison_group", "rates": {"email": [1, 6]}, "passed_over": {}}, "done")
    Delivery.objects.create(idempotency_key="default", action=action, channel=Channel.objects.get(kind="email"),
                            customer=ruth, to="ruth@example.com", subject="Time to restock?", body="b",
                            status="sent", sent_at=timezone.now())
    assert "Sent by email: the default channel (comparison group)" in page(client, ruth)
