"""Issue 31, item 7: a condition on whether a message of a channel kind could reach the customer
(``reachable: sms``): they have the address (a phone for SMS) and, for marketing, consent on that
channel kind (issue 32: SMS consent for SMS; e-mail consent alone does not do)."""
import pytest

from masa.models import Customer, Rule, ScheduledAction
from masa.packs.schema import assemble
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.rules.sentences import rule_sentence

from ..helpers import order_payload, post_signed

pytestmark = pytest.mark.django_db


def order(email, user_id, *, phone="", consent=True, sms_consent=False):
    payload = order_payload(email=email, user_id=user_id, consent=consent)
    payload["order"]["billingAddress"] = {"phone": phone, "country": {"code": "IL"}}
    if sms_consent:
        payload["order"]["user"]["metadata"].append({"key": "sms_marketing_consent", "value": "true"})
    return payload


def definition(**condition):
    return {"trigger": {"event": "order_placed"}, "conditions": [condition],
            "steps": [{"tag": "texted"}]}


def test_reachable_by_sms_needs_a_phone_and_for_marketing_consent(client, signing_store):
    Rule.objects.create(rule_id="sms-marketing", title="t", definition=definition(reachable="sms"))
    Rule.objects.create(rule_id="sms-any", title="t", definition={
        **definition(reachable="sms", **{"class": "transactional"}), "steps": [{"tag": "has-phone"}]})
    Rule.objects.create(rule_id="no-sms", title="t", definition={
        **definition(not_reachable="sms"), "steps": [{"tag": "email-instead"}]})
    post_signed(client, signing_store, "order_created",
                order("a@example.com", "VXNlcjox", phone="+972501234567", sms_consent=True))
    post_signed(client, signing_store, "order_created",
                order("b@example.com", "VXNlcjoy", phone="+972501234568"))  # e-mail consent only
    post_signed(client, signing_store, "order_created", order("c@example.com", "VXNlcjoz"))
    tags = {c.email: set(c.tags) for c in Customer.objects.all()}
    assert tags == {"a@example.com": {"texted", "has-phone"},
                    "b@example.com": {"has-phone", "email-instead"},
                    "c@example.com": {"email-instead"}}


def test_reachable_names_a_channel_kind_and_a_class():
    with pytest.raises(RuleDefinitionError, match="unknown channel kind 'pigeon'"):
        compile_rule("r", definition(reachable="pigeon"))
    with pytest.raises(RuleDefinitionError, match="class: must be one of"):
        compile_rule("r", definition(reachable="sms", **{"class": "urgent"}))
    with pytest.raises(RuleDefinitionError, match="unknown option"):
        compile_rule("r", definition(reachable="sms", when="now"))
    kinds = [option["required"][0] for option in assemble()["$defs"]["condition"]["oneOf"]]
    assert {"reachable", "not_reachable"} <= set(kinds)


def test_reachable_reads_in_owner_words():
    sentence = rule_sentence(definition(reachable="sms"))
    assert "they have a phone number and agreed to marketing" in sentence
    transactional = rule_sentence(definition(not_reachable="sms", **{"class": "transactional"}))
    assert "they have no phone number" in transactional and "sms" not in transactional
