"""The one list of event types (plugin/events.py) is the list everything uses, and the pack
reference documents each one."""
import re

import pytest

from masa import events
from masa.feedback.anymail import EVENTS as ESP_EVENTS
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.signals import django_signals, normalize

from .helpers import ROOT

REFERENCE = (ROOT / "docs" / "rule-packs.md").read_text()


@pytest.mark.parametrize("event", events.EVENT_TYPES, ids=lambda event: event.name)
def test_every_event_type_is_documented_and_can_trigger_a_rule(event):
    assert re.search(rf"`{event.name}`", REFERENCE), f"docs/rule-packs.md does not name `{event.name}`"
    compile_rule("r", {"trigger": {"event": event.name}, "steps": [{"tag": "seen"}]})


def test_every_source_makes_only_listed_events():
    made = {*normalize.ORDER_EVENTS.values(), *normalize.CUSTOMER_EVENTS.values(), "checkout_updated",
            "category_bought", "product_bought", *django_signals.ORDER_SIGNALS, *ESP_EVENTS.values()}
    assert made <= events.NAMES


def test_an_unlisted_event_cannot_trigger_a_rule_but_a_custom_one_can():
    with pytest.raises(RuleDefinitionError, match="unknown event 'order_vanished'"):
        compile_rule("r", {"trigger": {"event": "order_vanished"}, "steps": [{"tag": "x"}]})
    compile_rule("r", {"trigger": {"event": "custom.invoice_sent"}, "steps": [{"tag": "x"}]})


def test_purchases_and_timeline_words_come_from_the_list():
    from masa.rules.evaluate import PURCHASE_EVENTS

    assert PURCHASE_EVENTS == {"order_placed", "category_bought", "product_bought"}
    assert events.words("order_placed", {"number": "1001"}) == "Order placed #1001"
    assert events.words("category_bought", {"category": "walkers"}) == "Bought walkers"
    assert events.words("message_opened", {}) == "Message opened"
