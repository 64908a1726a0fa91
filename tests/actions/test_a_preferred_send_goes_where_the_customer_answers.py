"""``channel: preferred``: each message goes on the listed channel the customer answers best,
learned from their own messages (seed 003: "if they open emails but ignore SMS, change the
channel"), chosen when it falls due and kept across retries; a channel the customer cannot be
reached on is passed over with the reason; a stable comparison group gets the default channel."""
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from masa import preference
from masa.actions import due as scheduling
from masa.models import Channel, Customer, Delivery, MessageTemplate, Rule, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
LISTED = ["whatsapp", "sms", "email"]
ADDRESSES = {"whatsapp": "phone", "sms": "phone", "email": "email"}
_serial = iter(range(1, 100_000))


@pytest.fixture
def shop(db, settings, provider):
    settings.MASA = {**settings.MASA, "PREFERRED_CHANNEL_COMPARISON_PERCENT": 0}
    channels = {
        "email": Channel.objects.create(name="Shop email", kind="email", config={"from_email": "care@shop.example"}),
        "sms": Channel.objects.create(name="Shop SMS", kind="sms", config={"url": "https://sms.example.com/send"},
                                      secrets={"token": "t"}),
        "whatsapp": Channel.objects.create(name="Shop WhatsApp", kind="whatsapp",
                                           config={"phone_number_id": "106540352242922"},
                                           secrets={"access_token": "token"}),
    }
    MessageTemplate.objects.create(key="refill", subject="Time to restock?", body="Hi {{ customer.first_name }}, "
                                                                                  "time to restock.")
    Rule.objects.create(rule_id="refill", title="Refill", definition={
        "trigger": {"event": "order_placed"},
        "steps": [{"send": {"template": "refill", "channel": "preferred", "channels": LISTED}}]})
    return channels


def customer(email="ruth@example.com", phone="+972501234567", **consents) -> Customer:
    given = {"marketing_consent": True, "sms_consent": True, "whatsapp_consent": True,
             "whatsapp_wrote_at": NOW - timedelta(hours=2), **consents}
    return Customer.objects.create(store_id=f"VXNlcjo{next(_serial)}", email=email, phone=phone,
                                   first_name="Ruth", **given)


def past_messages(who: Customer, channel: Channel, sent: int, answered: int, answer="message_opened") -> None:
    """``sent`` earlier messages on ``channel``, the first ``answered`` of them answered."""
    for number in range(sent):
        key = f"past-{next(_serial)}"
        Delivery.objects.create(idempotency_key=key, channel=channel, customer=who, to="x", body="earlier",
                                status="sent", sent_at=NOW - timedelta(days=30))
        if number < answered:
            StoreEvent.objects.create(source="test", source_id=f"{answer}-{key}", name=answer, customer=who,
                                      occurred_at=NOW - timedelta(days=29),
                                      data={"delivery": key, "channel": channel.kind})


def due_send(who: Customer, params: dict | None = None) -> ScheduledAction:
    event = StoreEvent.objects.create(source="test", source_id=f"order-{next(_serial)}", name="order_placed",
                                      customer=who, occurred_at=NOW, data={"order_id": "o1"})
    return ScheduledAction.objects.create(
        idempotency_key=f"send-{next(_serial)}", rule=Rule.objects.get(rule_id="refill"), customer=who, event=event,
        step=0, kind="send", due_at=NOW,
        params=params or {"channel": "preferred", "channels": LISTED, "template": "refill", "class": "marketing"})


def sent_delivery(action: ScheduledAction) -> Delivery:
    return Delivery.objects.get(action=action)


def test_a_customer_who_reads_whatsapp_and_ignores_email_gets_the_next_message_on_whatsapp(shop, provider):
    ruth = customer()
    past_messages(ruth, shop["whatsapp"], sent=10, answered=9, answer="message_read")
    past_messages(ruth, shop["email"], sent=6, answered=1)
    action = due_send(ruth, {"channel": "preferred", "channels": ["email", "sms", "whatsapp"], "template": "refill",
                             "class": "marketing"})

    assert scheduling.sweep(now=NOW) == {"done": 1}
    assert sent_delivery(action).channel == shop["whatsapp"]
    [request] = provider.requests
    assert request.url.path.endswith("/106540352242922/messages")
    assert json.loads(request.content)["text"]["body"] == "Hi Ruth, time to restock."
    action.refresh_from_db()
    assert action.channel_choice == {"chosen": "Shop WhatsApp", "kind": "whatsapp", "arm": "preferred",
                                     "reason": "better_response", "rates": {"email": [1, 6], "sms": [0, 0],
                                                                            "whatsapp": [9, 10]},
                                     "passed_over": {}}
    assert preference.choice_words(action.channel_choice) == (
        "Sent on WhatsApp: the customer reads 9 of 10 WhatsApp messages and opens 1 of 6 emails")


def test_a_customer_who_opens_emails_but_ignores_sms_gets_the_next_one_by_email(shop, provider):
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["sms"], sent=5, answered=0)
    past_messages(ruth, shop["email"], sent=5, answered=4)
    action = due_send(ruth)

    assert scheduling.sweep(now=NOW) == {"done": 1}
    assert sent_delivery(action).channel == shop["email"] and provider.requests == []
    action.refresh_from_db()
    assert action.channel_choice["passed_over"] == {"whatsapp": "no_consent"}


def test_without_whatsapp_consent_whatsapp_is_passed_over_however_well_they_read_it(shop, provider):
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["whatsapp"], sent=10, answered=10, answer="message_read")
    action = due_send(ruth)

    assert scheduling.sweep(now=NOW) == {"done": 1}
    assert sent_delivery(action).channel == shop["sms"]
    action.refresh_from_db()
    assert action.channel_choice["passed_over"] == {"whatsapp": "no_consent"}
    assert preference.passed_over_words(action.channel_choice) == ["WhatsApp passed over: no consent for it"]


def test_a_service_message_needs_no_consent_on_the_channel_it_prefers(shop):
    ruth = customer(whatsapp_consent=False, sms_consent=False, marketing_consent=False)
    past_messages(ruth, shop["whatsapp"], sent=3, answered=3, answer="message_read")
    action = due_send(ruth, {"channel": "preferred", "channels": LISTED, "template": "refill",
                             "class": "transactional"})
    assert scheduling.sweep(now=NOW) == {"done": 1}
    assert sent_delivery(action).channel == shop["whatsapp"]


def test_outside_the_24_hour_window_whatsapp_needs_an_approved_template(shop):
    ruth = customer(whatsapp_wrote_at=NOW - timedelta(days=3))
    past_messages(ruth, shop["whatsapp"], sent=4, answered=4, answer="message_read")
    first = preference.choose(ruth, LISTED, True, NOW, template="refill", address_fields=ADDRESSES)
    assert first.kind == "sms" and first.passed_over == {"whatsapp": "window_closed_no_template"}

    MessageTemplate.objects.create(key="refill", channel_kind="whatsapp", body="Hi {{1}}",
                                   provider_template={"name": "refill_reminder", "language": "en_US",
                                                      "variables": ["{{ customer.first_name }}"]})
    second = preference.choose(ruth, LISTED, True, NOW, template="refill", address_fields=ADDRESSES)
    assert second.kind == "whatsapp" and second.passed_over == {}


def test_another_languages_approved_template_does_not_open_whatsapp_for_this_customer(shop):
    """A Hebrew reader outside the window gets the Hebrew WhatsApp text, which names no template:
    the English one's would not be sent to her, so WhatsApp is passed over, not chosen to fail."""
    ruth = customer(whatsapp_wrote_at=NOW - timedelta(days=3), locale="he")
    past_messages(ruth, shop["whatsapp"], sent=4, answered=4, answer="message_read")
    MessageTemplate.objects.create(key="refill", channel_kind="whatsapp", body="Hi {{1}}",
                                   provider_template={"name": "refill_reminder", "language": "en_US",
                                                      "variables": ["{{ customer.first_name }}"]})
    MessageTemplate.objects.create(key="refill", locale="he", channel_kind="whatsapp", body="שלום")
    choice = preference.choose(ruth, LISTED, True, NOW, template="refill", address_fields=ADDRESSES)
    assert choice.kind == "sms" and choice.passed_over == {"whatsapp": "window_closed_no_template"}


def test_two_messages_do_not_decide(shop):
    """One opened e-mail (100 %) does not outweigh six read WhatsApp messages of ten (60 %): the
    prior counts as 1 answer in 4 messages on every channel."""
    ruth = customer()
    past_messages(ruth, shop["whatsapp"], sent=10, answered=6, answer="message_read")
    past_messages(ruth, shop["email"], sent=1, answered=1)
    assert preference.choose(ruth, ["email", "whatsapp"], True, NOW, template="refill",
                             address_fields=ADDRESSES).kind == "whatsapp"

    ignored = customer(email="dana@example.com", phone="+972501234568")
    past_messages(ignored, shop["whatsapp"], sent=2, answered=0, answer="message_read")
    past_messages(ignored, shop["email"], sent=2, answered=1)
    rates = {kind: history.rate() for kind, history in preference.history(ignored).items()}
    assert rates == {"whatsapp": pytest.approx(1 / 6), "email": pytest.approx(2 / 6)}


def test_a_bounce_and_an_unsubscribe_count_against_their_channel(shop):
    ruth = customer()
    past_messages(ruth, shop["email"], sent=4, answered=2)
    opened = {event.data["delivery"] for event in StoreEvent.objects.filter(name="message_opened")}
    Delivery.objects.filter(channel=shop["email"]).exclude(idempotency_key__in=opened).update(status="bounced")
    StoreEvent.objects.create(source="test", source_id="unsub", name="unsubscribed", customer=ruth, occurred_at=NOW,
                              data={"delivery": "", "channel": "email"})
    email = preference.history(ruth)["email"]
    assert (email.sent, email.responded, email.bounced, email.unsubscribed) == (4, 2, 2, 1)
    assert email.rate() == pytest.approx((1 + 2) / (4 + 4 + 2 + 1))


def test_with_no_history_the_first_listed_channel_goes_first(shop):
    choice = preference.choose(customer(), LISTED, True, NOW, template="refill", address_fields=ADDRESSES)
    assert (choice.kind, choice.reason) == ("whatsapp", "no_history")
    assert preference.choice_words(choice.as_json()) == (
        "Sent on WhatsApp: the first listed channel; no answers to learn from yet")


def test_no_reachable_channel_skips_the_send_with_every_reason_in_words(shop, provider):
    shop["whatsapp"].enabled = False
    shop["whatsapp"].save()
    ruth = customer(phone="", marketing_consent=False)
    action = due_send(ruth)

    assert scheduling.sweep(now=NOW) == {"cancelled": 1}
    action.refresh_from_db()
    assert action.status == "cancelled" and not Delivery.objects.filter(action=action).exists()
    assert action.cancel_reason == (
        "no listed channel can reach the customer: WhatsApp passed over: no such channel is set up and switched on; "
        "SMS passed over: no phone number; Email passed over: no consent for it")
    assert action.channel_choice["chosen"] == "" and sorted(action.channel_choice["passed_over"]) == sorted(LISTED)


def test_the_comparison_group_gets_the_first_reachable_listed_channel(shop, settings):
    settings.MASA = {**settings.MASA, "PREFERRED_CHANNEL_COMPARISON_PERCENT": 100}
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["email"], sent=10, answered=10)
    action = due_send(ruth)

    assert scheduling.sweep(now=NOW) == {"done": 1}
    assert sent_delivery(action).channel == shop["sms"]
    action.refresh_from_db()
    assert (action.channel_choice["arm"], action.channel_choice["reason"]) == ("default", "comparison_group")
    assert preference.choice_words(action.channel_choice) == "Sent by SMS: the default channel (comparison group)"


def test_the_comparison_group_is_a_stable_share_per_rule(shop, settings):
    settings.MASA = {**settings.MASA, "PREFERRED_CHANNEL_COMPARISON_PERCENT": 30}
    people = [customer(email=f"c{n}@example.com") for n in range(60)]
    arms = [preference.choose(c, LISTED, True, NOW, template="refill", address_fields=ADDRESSES,
                              scope="rule:refill").arm for c in people]
    again = [preference.choose(c, LISTED, True, NOW, template="refill", address_fields=ADDRESSES,
                               scope="rule:refill").arm for c in people]
    assert arms == again
    assert 5 <= arms.count("default") <= 35 and "preferred" in arms
    assert [preference.in_comparison_group(c, "rule:refill") for c in people] == [a == "default" for a in arms]


def test_a_retry_keeps_the_first_choice(shop, provider):
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["sms"], sent=4, answered=3, answer="message_clicked")
    action = due_send(ruth)
    provider.answers = [httpx.Response(502, text="gateway")]

    assert scheduling.sweep(now=NOW) == {"retry": 1}
    action.refresh_from_db()
    assert action.channel_choice["chosen"] == "Shop SMS"
    past_messages(ruth, shop["email"], sent=20, answered=20)  # e-mail would win now
    assert scheduling.sweep(now=NOW + timedelta(hours=1)) == {"done": 1}
    assert sent_delivery(action).channel == shop["sms"] and len(provider.requests) == 2
    action.refresh_from_db()
    assert action.channel_choice["rates"]["sms"] == [3, 4]


def test_history_is_read_in_two_queries_however_many_messages(shop, django_assert_num_queries):
    ruth = customer()
    past_messages(ruth, shop["whatsapp"], sent=15, answered=7, answer="message_read")
    past_messages(ruth, shop["email"], sent=15, answered=7)
    with django_assert_num_queries(2):
        found = preference.history(ruth)
    assert (found["whatsapp"].read, found["email"].opened) == (7, 7)


def test_an_older_event_without_a_channel_is_counted_through_its_message(shop):
    ruth = customer()
    past_messages(ruth, shop["sms"], sent=2, answered=0)
    key = Delivery.objects.filter(channel=shop["sms"]).first().idempotency_key
    StoreEvent.objects.create(source="test", source_id="old-click", name="message_clicked", customer=ruth,
                              occurred_at=NOW, data={"delivery": key})
    assert preference.history(ruth)["sms"].responded == 1


def test_a_retry_never_goes_on_the_chosen_channel_after_its_consent_was_withdrawn(shop, provider):
    """Another kind's consent (e-mail's here) must not carry a retry on the kind the customer said
    stop to in between (a STOP reply while the send waited for quiet hours or a retry)."""
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["sms"], sent=4, answered=3, answer="message_clicked")
    action = due_send(ruth)
    provider.answers = [httpx.Response(502, text="gateway")]
    assert scheduling.sweep(now=NOW) == {"retry": 1}
    Customer.objects.filter(pk=ruth.pk).update(sms_consent=False)

    assert scheduling.sweep(now=NOW + timedelta(hours=1)) == {"cancelled": 1}
    assert len(provider.requests) == 1 and not Delivery.objects.filter(action=action, status="sent").exists()
    action.refresh_from_db()
    assert "SMS" in action.cancel_reason


def test_a_chosen_channel_turned_off_before_the_retry_is_chosen_again(shop, provider):
    ruth = customer(whatsapp_consent=False)
    past_messages(ruth, shop["sms"], sent=4, answered=3, answer="message_clicked")
    action = due_send(ruth)
    provider.answers = [httpx.Response(502, text="gateway")]
    assert scheduling.sweep(now=NOW) == {"retry": 1}
    Channel.objects.filter(pk=shop["sms"].pk).update(enabled=False)

    assert scheduling.sweep(now=NOW + timedelta(hours=1)) == {"done": 1}
    action.refresh_from_db()
    assert action.channel_choice["chosen"] == "Shop email"
    assert action.channel_choice["passed_over"]["sms"] == "no_channel"
    delivery = Delivery.objects.get(action=action, status="sent")
    assert (delivery.channel, delivery.to) == (shop["email"], "ruth@example.com")  # not the SMS's number
