"""Results split by channel kind: each journey's (and pack's) messages sent, opened (an e-mail's
open, WhatsApp's read receipt), clicked, replied to, the orders after them (last touch, on the
channel of the latest message before the order) and their revenue per recipient — on the Results
page and the journey page in words, as lists."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.models import Channel, Customer, Delivery, Rule, RulePack, ScheduledAction, StoreEvent
from masa.reports.channels import all_channels, pack_channels, rule_channels

from ..helpers import viewer

pytestmark = pytest.mark.django_db
_counter = iter(range(1, 10_000))


def _send(rule, channel, customer, at, template="win-back"):
    number = next(_counter)
    event = StoreEvent.objects.create(source="t", source_id=f"start-{number}", name="customer_created",
                                      customer=customer, occurred_at=at - timedelta(days=1), status="processed")
    action = ScheduledAction.objects.create(
        idempotency_key=f"a{number}", rule=rule, customer=customer, event=event, step=0, path="steps[0]", kind="send",
        params={"template": template}, due_at=at, status="done", completed_at=at)
    return Delivery.objects.create(idempotency_key=f"d{number}", action=action, channel=channel, customer=customer,
                                   to="x", body="x", status="sent", sent_at=at, template_key=template)


def _event(name, customer, at, **data):
    StoreEvent.objects.create(source="t", source_id=f"{name}-{next(_counter)}", name=name, customer=customer,
                              occurred_at=at, data=data, status="processed")


@pytest.fixture
def shop():
    """Win-back in the pack "care": three customers on WhatsApp (two read it, one replies and buys
    ₪120), two by e-mail (one opens and clicks), one by SMS (she buys ₪30 two days later)."""
    RulePack.objects.create(pack_id="care", version="1", title="Senior care")
    rule = Rule.objects.create(rule_id="win-back", pack="care", title="Win back",
                               definition={"trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "w"}}]})
    whatsapp = Channel.objects.create(name="Shop WhatsApp", kind="whatsapp")
    email = Channel.objects.create(name="Shop email", kind="email")
    sms = Channel.objects.create(name="Shop SMS", kind="sms")
    at = timezone.now() - timedelta(days=10)
    people = [Customer.objects.create(email=f"c{n}@example.com") for n in range(6)]
    sent = [_send(rule, whatsapp, person, at).idempotency_key for person in people[:3]]
    for person, key in zip(people[:2], sent):
        _event("message_read", person, at + timedelta(hours=1), delivery=key)
    _event("message_replied", people[0], at + timedelta(hours=2), delivery=sent[0], text="yes", channel="whatsapp")
    _event("order_placed", people[0], at + timedelta(days=1), total="120", currency="ILS")
    mailed = [_send(rule, email, person, at).idempotency_key for person in people[3:5]]
    _event("message_opened", people[3], at + timedelta(hours=1), delivery=mailed[0])
    _event("message_clicked", people[3], at + timedelta(hours=1), delivery=mailed[0], url="https://shop.example/")
    _send(rule, sms, people[5], at)
    _event("order_placed", people[5], at + timedelta(days=2), total="30", currency="ILS")
    return rule


def _period():
    return timezone.now() - timedelta(days=30), timezone.now()


def test_each_channel_counts_its_own_messages_reads_replies_and_orders(shop):
    whatsapp, sms, email = rule_channels(*_period())["win-back"]
    assert [whatsapp.kind, sms.kind, email.kind] == ["whatsapp", "sms", "email"], "WhatsApp, SMS, then e-mail"
    assert (whatsapp.sent, whatsapp.opened, whatsapp.clicked, whatsapp.replied, whatsapp.converted) == (3, 2, 0, 1, 1)
    assert whatsapp.revenue == {"ILS": Decimal("120")} and whatsapp.revenue_per_recipient == {"ILS": Decimal("40.00")}
    assert (email.sent, email.opened, email.clicked, email.replied, email.converted) == (2, 1, 1, 0, 0)
    assert (sms.sent, sms.converted, sms.revenue) == (1, 1, {"ILS": Decimal("30")})
    [pack_whatsapp, *_rest] = pack_channels(*_period())["care"]
    assert (pack_whatsapp.sent, pack_whatsapp.opened) == (3, 2), "a pack adds up its rules"
    assert sum(row.sent for row in all_channels(*_period())) == 6


def test_an_order_outside_the_window_counts_for_no_channel(shop):
    rows = rule_channels(*_period(), window=timedelta(hours=30))["win-back"]
    assert {row.kind: row.converted for row in rows} == {"whatsapp": 1, "sms": 0, "email": 0}


def test_the_results_page_says_each_channel_in_words_as_a_list(client, shop):
    client.force_login(viewer())
    page = client.get(reverse("masa_results")).content.decode()
    section = page[page.index("By channel"):page.index("Messages per day")]
    assert '<ul class="masa-by-channel">' in page and "<table" not in section
    text = re.sub(r"<[^>]+>", "", section)
    assert "WhatsApp: 3 sent, 2 read, 0 clicked, 1 replied, 1 bought, ₪120.00 (₪40.00 per recipient)" in text
    assert "SMS: 1 sent, 0 clicked, 0 replied, 1 bought, ₪30.00 (₪30.00 per recipient)" in text, \
        "an SMS tells no opens: none is said"
    assert "Email: 2 sent, 1 opened, 1 clicked, 0 bought" in text
    assert "Win back" in text and "win-back" not in text.replace("masa/rules/win-back", "")


def test_the_results_page_by_pack_and_the_journey_page_say_it_too(client, shop):
    client.force_login(viewer())
    page = re.sub(r"<[^>]+>", "", client.get(reverse("masa_results"), {
        "since": (timezone.now() - timedelta(days=30)).date().isoformat(), "until": timezone.now().date().isoformat(),
        "by": "pack", "window": 7}).content.decode())
    assert "Senior care" in page and "WhatsApp: 3 sent, 2 read" in page
    journey = re.sub(r"<[^>]+>", "", client.get(reverse("masa_rule_journey", args=["win-back"])).content.decode())
    assert "By channel:" in journey and "WhatsApp: 3 sent, 2 read, 0 clicked, 1 replied, 1 bought" in journey

