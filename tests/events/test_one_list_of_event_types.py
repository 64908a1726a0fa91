"""The one list of event types (plugin/events.py) is the list everything uses, and the pack
reference documents each one."""
import re

import pytest

from masa import events
from masa.feedback.anymail import EVENTS as ESP_EVENTS
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.signals import django_signals, normalize

from ..helpers import ROOT

REFERENCE = (ROOT / "docs" / "rule-packs.md").read_text()


@pytest.mark.parametrize("event", events.EVENT_TYPES, ids=lambda event: event.name)
def test_every_event_type_is_documented_and_can_trigger_a_rule(event):
    assert re.search(rf"`{event.name}`", REFERENCE), f"docs/rule-packs.md does not name `{event.name}`"
    compile_rule("r", {"trigger": {"event": event.name}, "steps": [{"tag": "seen"}]})


def test_every_source_makes_only_listed_events():
    saleor = {name for event in normalize.SALEOR_EVENTS.values() for name in event.makes} - {normalize.CUSTOMER_DELETED}
    made = {*saleor, *django_signals.ORDER_SIGNALS, *ESP_EVENTS.values()}
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


def _row_of(event_name: str) -> str:
    rows = [line for line in REFERENCE.splitlines()
            if line.startswith("| ") and re.search(rf"`{re.escape(event_name)}`", line.split(" | ")[0])]
    assert rows, f"docs/rule-packs.md has no row for `{event_name}` in 'Event fields'"
    return rows[0]


@pytest.mark.parametrize("event", events.EVENT_TYPES, ids=lambda event: event.name)
def test_the_reference_names_every_field_of_every_event(event):
    """Issue 19, item 11: what a pack can read is documented — each event's fields on its row."""
    row = _row_of(event.name)
    missing = [name for name in event.fields if f"`{name}`" not in row]
    assert not missing, f"the row of `{event.name}` does not name {missing}"


def test_the_purchase_events_carry_exactly_their_declared_fields():
    from masa.events import BY_NAME, Identity
    from datetime import datetime, timezone

    line = {"product_id": "p", "product_name": "P", "variant_id": "", "sku": "s", "quantity": 2, "total": 1.0,
            "category": "c", "category_name": "", "parent_category": ""}
    made = normalize.order_events("order_placed", "o", datetime.now(timezone.utc), Identity(email="a@example.com"),
                                  {"number": "1", "lines": [line], **normalize.summarize_lines([line])})
    for event in made[1:]:
        assert set(event.data) <= set(BY_NAME[event.name].fields), event.name


def test_the_reference_names_every_merge_tag_and_the_refused_filters():
    from masa.models import Customer
    from masa.rendering import merge_context
    from masa.template_sandbox import ALLOWED_TAGS, REFUSED_FILTERS

    context = merge_context(Customer(email="a@example.com"), None)
    section = REFERENCE[REFERENCE.index("### Merge tags"):REFERENCE.index("### Defaults")]
    for name, value in context.items():
        assert name in section, name
        for key in value if isinstance(value, dict) else ():
            assert f".{key}" in section or f"{name}.{key}" in section, f"{name}.{key}"
    for name in [*REFUSED_FILTERS, *ALLOWED_TAGS]:
        assert f"`{name}`" in section, name
