"""Issue 32: what a guest gave in checkout metadata does not carry to the account the guest
becomes — per channel, while what the person confirmed (an opt-in link) stays; rules see each
channel's consent (``consent_email``, ``consent_sms``, ``consent_whatsapp``; ``marketing_consent``
stays e-mail's), and a broadcast reaches a customer by the consent of its send's channel."""
from datetime import datetime, timezone

import pytest
from django.test import TestCase

from masa.models import Broadcast, Channel, Customer, MessageTemplate, Rule, StoreEvent
from masa.rules.broadcast import fan_out_due, start_broadcast
from masa.rules.facts import customer_fact

from ..helpers import customer_payload, guest_checkout, later, post_signed

pytestmark = pytest.mark.django_db
USER_1 = "VXNlcjox"


def test_guest_consent_per_channel_is_not_carried_to_the_account(client, signing_store):
    post_signed(client, signing_store, "checkout_updated", guest_checkout("noa@example.com", "false"))
    Customer.objects.update(sms_consent=True, sms_consent_source="Saleor order metadata",
                            whatsapp_consent=True, whatsapp_consent_source="opt-in link")
    post_signed(client, signing_store, "customer_created",
                customer_payload(user_id=USER_1, email="noa@example.com", consent=False, when=later(2)))
    account = Customer.objects.get()
    assert account.store_id == USER_1
    assert account.sms_consent is False and "guest" in account.sms_consent_source
    assert account.whatsapp_consent is True, "she confirmed WhatsApp herself, by the signed link"


def test_rules_see_each_channels_consent():
    customer = Customer(email="a@example.com", marketing_consent=True, sms_consent=False, whatsapp_consent=True)
    fact = customer_fact(customer, datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert (fact["marketing_consent"], fact["consent_email"], fact["consent_sms"], fact["consent_whatsapp"]) == \
        (True, True, False, True)


def test_a_rule_condition_on_sms_consent(db):
    Rule.objects.create(rule_id="texters", title="t", definition={
        "trigger": {"event": "customer_created"}, "conditions": [{"fact": "consent_sms", "value": True}],
        "steps": [{"tag": "texter"}]})
    from masa import signals

    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.customer_created.send(sender=None, customer_id=1, email="a@example.com", sms_consent=True)
        signals.customer_created.send(sender=None, customer_id=2, email="b@example.com", marketing_consent=True)
    assert {c.email: c.tags for c in Customer.objects.all()} == {"a@example.com": ["texter"], "b@example.com": []}


def test_a_broadcast_by_sms_reaches_those_who_agreed_to_sms(db):
    Channel.objects.create(name="Shop SMS", kind="sms")
    MessageTemplate.objects.create(key="sale", channel_kind="sms", body="Sale today")
    rule = Rule.objects.create(rule_id="sale", title="Sale", definition={
        "trigger": {"event": "broadcast"}, "steps": [{"send": {"template": "sale", "channel": "Shop SMS"}}]})
    Customer.objects.create(email="emailed@example.com", phone="+972501", marketing_consent=True)
    Customer.objects.create(email="texted@example.com", phone="+972502", sms_consent=True)
    broadcast = start_broadcast(rule, None, by="dana")
    with TestCase.captureOnCommitCallbacks(execute=True):
        while fan_out_due():
            pass
    broadcast.refresh_from_db()
    reached = StoreEvent.objects.filter(name="broadcast").values_list("customer__email", flat=True)
    assert list(reached) == ["texted@example.com"] and broadcast.customers_skipped == 1
    assert broadcast.status == Broadcast.Status.SCHEDULED
