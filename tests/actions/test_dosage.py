"""Marketing dosage: frequency caps and quiet hours defer sends (never drop them), with a reason."""
from datetime import datetime, timedelta, timezone

import pytest

from masa.actions import due as scheduling
from masa.models import Channel, Customer, Delivery, MessageTemplate, Rule, ScheduledAction

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def promo(db, email_channel):
    MessageTemplate.objects.create(key="promo", subject="New for you", body="Hello {{ customer.first_name }}")

    def rule(message_class="marketing", channel="email", rule_id="promo"):
        return Rule.objects.create(rule_id=rule_id, title=rule_id, definition={
            "trigger": {"event": "order_placed"},
            "steps": [{"wait": "1d"}, {"send": {"channel": channel, "template": "promo", "class": message_class}}]})
    return rule


def two_orders(client, signer):
    for minute in (0, 1):
        post_signed(client, signer, "order_created", order_payload(when=NOW + timedelta(minutes=minute)))


def test_over_the_daily_cap_the_second_message_waits_a_day_with_the_reason(client, signing_store, promo, settings):
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 1}}
    promo()
    two_orders(client, signing_store)
    due = NOW + timedelta(days=1, minutes=5)

    assert scheduling.sweep(now=due) == {"done": 1, "deferred": 1}
    waiting = ScheduledAction.objects.get(status="pending")
    assert waiting.due_at == due + timedelta(days=1)
    assert "1 marketing message(s) a day in all already sent" in waiting.outcome
    assert scheduling.sweep(now=due + timedelta(hours=23)) == {}
    assert scheduling.sweep(now=due + timedelta(days=1)) == {"done": 1}
    assert Delivery.objects.filter(status="sent").count() == 2


def test_transactional_messages_ignore_caps_and_quiet_hours(client, signing_store, promo, settings):
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 1},
                     "QUIET_HOURS": {"start": "00:00", "end": "23:59"}}
    promo(message_class="transactional")
    two_orders(client, signing_store)
    assert scheduling.sweep(now=NOW + timedelta(days=1, minutes=5)) == {"done": 2}


def test_a_channel_cap_counts_only_that_channel(client, signing_store, promo):
    Channel.objects.create(name="Promo mail", kind="email", config={"caps": {"week": 1}})
    promo(channel="Promo mail", rule_id="promo-mail")
    promo(channel="Shop email", rule_id="promo-shop")
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))

    assert scheduling.sweep(now=NOW + timedelta(days=1, minutes=5)) == {"done": 2}
    post_signed(client, signing_store, "order_created", order_payload(when=NOW + timedelta(days=2)))
    assert scheduling.sweep(now=NOW + timedelta(days=3, minutes=5)) == {"done": 1, "deferred": 1}
    assert "on Promo mail" in ScheduledAction.objects.get(status="pending").outcome


def test_quiet_hours_defer_to_their_end_in_the_customer_s_time_zone(client, signing_store, promo, settings):
    settings.MASA = {**settings.MASA, "QUIET_HOURS": {"start": "21:00", "end": "08:00"}}
    promo()
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    Customer.objects.update(time_zone="Asia/Jerusalem")

    late = datetime(2026, 11, 3, 20, 30, tzinfo=timezone.utc)
    assert scheduling.sweep(now=late) == {"deferred": 1}
    action = ScheduledAction.objects.get()
    assert action.due_at == datetime(2026, 11, 4, 6, 0, tzinfo=timezone.utc)
    assert "quiet hours 21:00–08:00 (Asia/Jerusalem)" in action.outcome
    assert scheduling.sweep(now=action.due_at) == {"done": 1}


def test_a_pack_cap_and_the_shops_combine_to_the_stricter_per_window():
    """Issue 19, item 14: a shop tightens a pack's dosage, never loosens it."""
    from masa.actions.dosage import stricter_caps

    assert stricter_caps({"day": 5, "week": 4}, {"day": 2, "month": 8}) == {"day": 2, "week": 4, "month": 8}
    assert stricter_caps({"day": 1}, {"day": 3}) == {"day": 1}
    assert stricter_caps({}, {}) == {}


def test_a_packs_keep_in_touch_needs_a_template_it_defines():
    from masa.packs import PackError, load_pack

    source = """
masa_pack: 1
id: quiet
version: 1.0.0
title: Quiet
dosage: {caps: {day: 1}, keep_in_touch: {every: 60d, template: missing}}
templates: {hello: {body: Hi}}
rules: [{id: hi, trigger: {event: order_placed}, steps: [{send: {template: hello}}]}]
"""
    with pytest.raises(PackError) as refused:
        load_pack(source, "quiet.yaml")
    assert refused.value.problems == [
        "quiet.yaml: dosage.keep_in_touch.template: unknown template 'missing' (define it under templates)"]
    pack = load_pack(source.replace("template: missing", "template: hello"), "quiet.yaml")
    assert [rule["id"] for rule in pack.rules] == ["hi", "quiet-keep-in-touch", "quiet-keep-in-touch-first"]
