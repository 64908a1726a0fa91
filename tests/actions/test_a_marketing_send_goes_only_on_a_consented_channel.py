"""Issue 32: marketing consent is per channel. A marketing send goes only on a channel kind the
customer agreed to (an SMS needs SMS consent, an e-mail e-mail consent); ``channel: preferred``
needs one of its channels; the reason names the channel and Needs attention groups it so."""
from datetime import datetime, timedelta, timezone

import pytest

from masa.actions import due as scheduling
from masa.actions import guards
from masa.admin.attention import skip_kind
from masa.admin.journey_words import reason_words
from masa.models import Channel, Customer, Delivery, MessageTemplate, Rule, ScheduledAction

from ..helpers import order_payload, post_signed

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def channels(db, provider):
    return {
        "email": Channel.objects.create(name="Shop email", kind="email", config={"from_email": "care@shop.example"}),
        "sms": Channel.objects.create(name="Shop SMS", kind="sms", config={"url": "https://sms.example.com/send"},
                                      secrets={"token": "t"}),
    }


def test_an_sms_without_sms_consent_is_skipped_while_the_email_with_email_consent_goes(client, signing_store,
                                                                                     channels, mailoutbox):
    MessageTemplate.objects.create(key="news", subject="News", body="Hi {{ customer.first_name }}, news.")
    Rule.objects.create(rule_id="news", title="News", definition={
        "trigger": {"event": "order_placed"},
        "steps": [{"wait": "1d"}, {"send": {"template": "news", "channel": "Shop SMS"}},
                  {"send": {"template": "news", "channel": "email"}}]})
    payload = order_payload(when=NOW)   # the account's metadata gives e-mail consent only
    payload["order"]["billingAddress"] = {"phone": "+972501234567", "country": {"code": "IL"}}
    post_signed(client, signing_store, "order_created", payload)
    ruth = Customer.objects.get()
    assert ruth.marketing_consent and not ruth.sms_consent and ruth.phone

    assert scheduling.sweep(now=NOW + timedelta(days=1, minutes=5)) == {"cancelled": 1, "done": 1}
    sms = ScheduledAction.objects.get(params__channel="Shop SMS")
    assert sms.cancel_reason == "the customer has no marketing consent for SMS"
    assert [m.to for m in mailoutbox] == [["ruth@example.com"]]
    assert not Delivery.objects.filter(channel=channels["sms"]).exists()
    assert skip_kind(sms.cancel_reason) == "no_consent_sms"
    assert reason_words(sms.cancel_reason) == "no consent to marketing by SMS"


def test_with_sms_consent_the_same_sms_goes(client, signing_store, channels):
    MessageTemplate.objects.create(key="news", subject="News", body="Hi, news.")
    Rule.objects.create(rule_id="news", title="News", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "news", "channel": "sms"}}]})
    payload = order_payload(when=NOW, consent=False)
    payload["order"]["user"]["metadata"] = [{"key": "sms_marketing_consent", "value": "yes"}]
    payload["order"]["billingAddress"] = {"phone": "+972501234567", "country": {"code": "IL"}}
    post_signed(client, signing_store, "order_created", payload)
    assert scheduling.sweep(now=NOW + timedelta(minutes=5)) == {"done": 1}
    assert Delivery.objects.get().channel == channels["sms"]


def pending(customer, **params):
    return ScheduledAction(customer=customer, kind="send", params={"template": "t", "class": "marketing", **params},
                           due_at=NOW)


def test_a_preferred_send_needs_consent_on_one_of_its_channels_and_names_them_when_none(channels):
    Channel.objects.create(name="Shop WhatsApp", kind="whatsapp", config={"phone_number_id": "1"})
    nobody = Customer.objects.create(email="a@example.com", phone="+972501234567", marketing_consent=False)
    listed = {"channel": "preferred", "channels": ["whatsapp", "sms", "email"]}
    assert guards.failed_guard(pending(nobody, **listed)) == \
        "the customer has no marketing consent for WhatsApp, SMS or e-mail"
    texting = Customer.objects.create(email="b@example.com", phone="+972501234568", sms_consent=True)
    assert guards.failed_guard(pending(texting, **listed)) is None
    assert guards.failed_guard(pending(texting, channel="preferred", channels=["whatsapp", "email"])) == \
        "the customer has no marketing consent for WhatsApp or e-mail"


def test_a_channel_named_by_its_name_needs_the_consent_of_its_kind(channels):
    """``channel: Shop SMS`` (a name) is an SMS: e-mail consent does not let it go; a check
    ``marketing_consent: true`` on it asks for SMS consent too."""
    emailed = Customer.objects.create(email="a@example.com", phone="+972501234567", marketing_consent=True)
    assert guards.failed_guard(pending(emailed, channel="Shop SMS")) == "the customer has no marketing consent for SMS"
    assert guards.failed_guard(pending(emailed, channel="Shop email")) is None
    service = ScheduledAction(customer=emailed, kind="send", due_at=NOW, guard=[{"marketing_consent": True}],
                              params={"template": "t", "class": "transactional", "channel": "sms"})
    assert guards.failed_guard(service) == "the customer has no marketing consent for SMS"
    assert reason_words("the customer has no marketing consent for WhatsApp") == "no consent to marketing on WhatsApp"
    assert skip_kind("the customer has no marketing consent for e-mail") == "no_consent"
