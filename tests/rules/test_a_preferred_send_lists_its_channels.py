"""``send: {channel: preferred, channels: [...]}`` compiles to one action that lists its channels in
order; a mistake in it names the field in words; its sentence names the channels in the admin's
language (issue 32)."""
import pytest
from django.utils import translation

from masa.packs.schema import assemble
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.rules.sentences import Words, rule_sentence
from masa.rules.steps import STEPS


def rule(send: dict) -> dict:
    return {"trigger": {"event": "order_placed"}, "steps": [{"wait": "2d"}, {"send": {"template": "refill", **send}}]}


def problem(send: dict) -> RuleDefinitionError:
    with pytest.raises(RuleDefinitionError) as raised:
        compile_rule("r", rule(send))
    return raised.value


def test_a_preferred_send_plans_one_action_with_its_channels_in_order():
    [action] = compile_rule("r", rule({"channel": "preferred", "channels": ["whatsapp", "sms", "email"]})).plan
    assert action.kind == "send"
    assert action.params == {"channel": "preferred", "channels": ["whatsapp", "sms", "email"], "template": "refill",
                             "class": "marketing"}


def test_a_single_channel_send_plans_no_channel_list():
    [action] = compile_rule("r", rule({"channel": "sms"})).plan
    assert action.params == {"channel": "sms", "template": "refill", "class": "marketing"}


@pytest.mark.parametrize("send, field, words", [
    ({"channel": "preferred"}, "steps[1].send.channels", "channel: preferred needs channels"),
    ({"channel": "preferred", "channels": []}, "steps[1].send.channels", "channel: preferred needs channels"),
    ({"channel": "preferred", "channels": "sms"}, "steps[1].send.channels", "channel: preferred needs channels"),
    ({"channels": ["sms", "email"]}, "steps[1].send.channels", "only with channel: preferred"),
    ({"channel": "sms", "channels": ["sms"]}, "steps[1].send.channels", "only with channel: preferred"),
    ({"channel": "preferred", "channels": ["sms", "pigeon"]}, "steps[1].send.channels[1]",
     "unknown channel kind 'pigeon'; one of whatsapp, sms, email"),
    ({"channel": "preferred", "channels": ["sms", "email", "sms"]}, "steps[1].send.channels",
     "names a channel kind twice"),
])
def test_a_wrong_preferred_send_is_refused_naming_the_field(send, field, words):
    error = problem(send)
    assert error.field_path == field and words in error.problem


def test_the_pack_schema_knows_channels_and_offers_only_the_kinds_a_customer_answers_on():
    send = assemble()["$defs"]["send"]["properties"]
    assert send["channels"]["items"] == {"enum": ["whatsapp", "sms", "email"]}
    assert "preferred" in send["channel"]["description"]


def test_the_sentence_names_the_channels_in_order_in_english():
    definition = rule({"channel": "preferred", "channels": ["whatsapp", "sms", "email"]})
    with translation.override("en"):
        sentence = rule_sentence(definition, Words({"refill": "Time to restock?"}))
    assert sentence == ("When a customer places an order: wait 2 days; send “Time to restock?” on the channel the "
                        "customer answers best: WhatsApp, else SMS, else email.")


def test_the_sentence_names_the_channels_in_hebrew():
    definition = rule({"channel": "preferred", "channels": ["sms", "email"]})
    with translation.override("he"):
        sentence = str(rule_sentence(definition, Words({"refill": "Time to restock?"})))
    assert "בערוץ שבו הלקוח מגיב הכי הרבה" in sentence
    assert "\u2068SMS\u2069, אחרת מייל" in sentence  # the Latin name isolated, the Hebrew word not
    assert "answers best" not in sentence


def test_the_rule_editor_offers_the_channel_list_on_every_send_to_switch_it_to_preferred():
    """The form keeps the list only while the channel is preferred (tests/admin/test_an_owner_switches_…)."""
    send = STEPS["send"]
    assert ("send", "channels") in [f.path for f in send.fields({"template": "t", "channel": "preferred",
                                                                   "channels": ["sms"]})]
    single = {f.path: f for f in send.fields({"template": "t", "channel": "sms"})}
    assert single[("send", "channels")].kind == "channels" and single[("send", "channels")].default == []
