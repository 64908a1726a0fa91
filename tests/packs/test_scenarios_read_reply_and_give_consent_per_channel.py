"""A scenario's customer reads a WhatsApp message (``read: T``) and replies (``reply: T``) as she
opens and clicks an e-mail; her consent is per channel (``customer.consent``); an expected message
may say the channel it went on. A bad ``consent:`` or a ``read:`` of an e-mail fails in words."""
import pytest

from masa.models import StoreEvent
from masa.packs import load_pack
from masa.packs import scenarios
from masa.packs.scenario_document import scenario_problems
from masa.packs.scenarios import START, run_file

pytestmark = pytest.mark.django_db

KIT = """
masa_pack: 1
id: reply-kit
version: 1.0.0
title: Reply kit
templates:
  ask:
    subject: "Shall we call you?"
    body: "Shall we call you, {{ customer.first_name }}?"
    channels:
      whatsapp:
        body: "Shall we call you, {{ customer.first_name }}?"
        template: {name: call_offer, language: en_US, variables: ["{{ customer.first_name }}"]}
  ask-text: {channel: sms, body: "Shall we call you? Reply YES"}
  thanks: {subject: "Thank you", body: "We will call you."}
  nudge: {subject: "Still there?", body: "Shall we call?"}
rules:
  - id: ask-by-mail
    title: Ask by e-mail, thank a reply
    trigger: {event: order_placed}
    steps:
      - send: {template: ask}
      - wait:
          event: message_replied
          within: 2d
          on_event:
            - send: {template: thanks, class: transactional}
          on_timeout:
            - send: {template: nudge}
  - id: ask-on-whatsapp
    title: Ask on WhatsApp, thank a read
    trigger: {event: order_placed}
    steps:
      - send: {template: ask, channel: whatsapp}
      - wait:
          event: message_read
          within: 1d
          on_event:
            - send: {template: thanks, class: transactional}
  - id: ask-by-text
    title: Ask by text
    trigger: {event: order_placed}
    steps:
      - send: {template: ask-text, channel: sms}
"""
ORDER = {"at": 0, "order": [{"category": "care", "product": "pads"}]}


def _play(**scenario):
    [result] = run_file(load_pack(KIT), {"scenarios": [{"name": "s", **scenario}]})
    return result


def test_a_reply_is_recorded_for_her_latest_message_of_that_template_and_the_journey_hears_it(monkeypatch):
    recorded = []
    original = scenarios.record_message_event
    monkeypatch.setattr(scenarios, "record_message_event",
                        lambda delivery, name, source_id, **kw: recorded.append((delivery.channel.kind, name, kw))
                        or original(delivery, name, source_id, **kw))
    result = _play(rules=["ask-by-mail"], events=[ORDER, {"at": "1d", "reply": "ask", "text": "Yes please"}],
                   until="5d", expect={"sent": [{"template": "ask", "channel": "email"},
                                                {"template": "thanks", "at": "1d", "channel": "email"}]})
    assert result.passed, result.problems
    [(kind, name, data)] = recorded
    assert (kind, name, data["text"]) == ("email", "message_replied", "Yes please")
    assert not StoreEvent.objects.filter(name="message_replied").exists(), "the rehearsal keeps nothing"


def test_without_a_reply_the_journey_times_out():
    result = _play(rules=["ask-by-mail"], events=[ORDER], until="5d",
                   expect={"sent": [{"template": "ask"}, {"template": "nudge", "at": "2d"}]})
    assert result.passed, result.problems


def test_a_read_whatsapp_message_is_heard_and_reading_an_email_is_a_problem_in_words(monkeypatch):
    read = _play(rules=["ask-on-whatsapp"], events=[ORDER, {"at": "1h", "read": "ask"}], until="2d",
                 expect={"sent": [{"template": "ask", "channel": "whatsapp"}, {"template": "thanks", "at": "1h"}]})
    assert read.passed, read.problems
    recorded = []
    monkeypatch.setattr(scenarios, "record_message_event",
                        lambda delivery, name, source_id, **kw: recorded.append((name, kw)))
    result = _play(rules=["ask-by-mail"], events=[ORDER, {"at": "1h", "read": "ask"}], until="1d")
    assert result.problems == ["read: 'ask' went by email, not WhatsApp; an e-mail is opened (open: ask)"]
    assert recorded == []


def test_a_customer_has_every_channels_consent_unless_the_scenario_says_otherwise():
    assert scenarios._customer({})["consent"] == {"email": True, "sms": True, "whatsapp": True}
    assert scenarios._customer({"marketing_consent": False, "consent": {"whatsapp": False}})["consent"] == \
        {"email": False, "sms": True, "whatsapp": False}


def test_consent_per_channel_is_played_and_an_expected_message_names_its_channel():
    given = _play(rules=["ask-by-mail", "ask-by-text"], events=[ORDER], until="1d",
                  expect={"sent": [{"template": "ask", "channel": "email"}, {"template": "ask-text", "channel": "sms"}]})
    assert given.passed, given.problems
    no_sms = _play(rules=["ask-by-mail", "ask-by-text"], customer={"consent": {"email": True, "sms": False}},
                   events=[ORDER], until="1d",
                   expect={"sent": [{"template": "ask", "channel": "email"}]})
    assert no_sms.passed, no_sms.problems
    wrong = _play(rules=["ask-by-text"], events=[ORDER], until="1d",
                  expect={"sent": [{"template": "ask-text", "channel": "whatsapp"}]})
    assert wrong.problems == ["sent: 'ask-text' went by sms, expected whatsapp"]


def test_a_guest_gets_her_consent_once_the_shop_knows_her():
    texted = _play(rules=["ask-by-mail", "ask-by-text"], customer={"guest": True}, events=[ORDER], until="1d",
                   expect={"sent": [{"template": "ask"}, {"template": "ask-text", "channel": "sms"}]})
    assert texted.passed, texted.problems
    not_texted = _play(rules=["ask-by-mail", "ask-by-text"], customer={"guest": True, "consent": {"sms": False}},
                       events=[ORDER], until="1d", expect={"sent": [{"template": "ask"}]})
    assert not_texted.passed, not_texted.problems


@pytest.mark.parametrize("consent, problem", [
    ("yes", "customer.consent: write her consent per channel, e.g. {email: true, sms: false, whatsapp: true}, "
            "not 'yes'"),
    ({"fax": True}, "customer.consent.fax: unknown channel; consent is given for email, sms, whatsapp"),
    ({"sms": "no"}, "customer.consent.sms: must be true or false, not 'no'"),
    ({1: True}, "customer.consent.1: unknown channel; consent is given for email, sms, whatsapp"),
])
def test_a_bad_consent_is_a_problem_in_words(consent, problem):
    assert scenario_problems({"customer": {"consent": consent}}, START) == [problem]
    assert _play(customer={"consent": consent}, events=[ORDER]).problems == [problem]


def test_consent_and_marketing_consent_must_agree_on_email():
    problems = scenario_problems({"customer": {"marketing_consent": False, "consent": {"email": True}}}, START)
    assert problems == ["customer.consent.email: says true but marketing_consent says false: write one of them"]


def test_a_reply_text_and_an_expected_channel_must_be_text():
    problems = scenario_problems({"events": [{"reply": "ask", "text": 5}],
                                  "expect": {"sent": [{"template": "ask", "channel": ["sms"]}]}}, START)
    assert problems == ["events[0].text: must be text, not 5", "expect.sent[0].channel: must be text, not ['sms']"]
