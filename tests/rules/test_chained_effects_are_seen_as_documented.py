"""docs/rule-packs.md, "In what order rules see each other's changes": within one evaluation a
rule's changes (all its steps before any wait) are applied together, and every rule still to fire —
triggered by the same event or by a change — is judged against the customer as changed."""
from datetime import datetime, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Customer, Rule

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def rule(rule_id, **definition):
    return Rule.objects.create(rule_id=rule_id, title=rule_id, definition=definition)


@pytest.mark.parametrize("setter", ["a-gold", "z-gold"])  # before or after the watcher in the engine's order
def test_a_change_is_seen_whole_by_fact_triggers_and_by_rules_of_the_same_event(setter):
    rule(setter, trigger={"event": "order_placed"},
         steps=[{"set": {"fact": "tier", "value": "gold"}}, {"increment": {"fact": "points", "by": 1}}])
    rule("m-sees-gold", trigger={"event": "order_placed"}, conditions=[{"fact": "facts.tier", "op": "==", "value": "gold"}],
         steps=[{"tag": "saw-gold"}])
    rule("gold-with-points", trigger={"fact": "tier", "to": "gold"}, conditions=[{"fact": "facts.points", "op": "==", "value": 1}],
         steps=[{"tag": "points-seen"}])
    rule("gold-without-points", trigger={"fact": "tier", "to": "gold"},
         conditions=[{"fact": "facts.points", "op": "missing"}], steps=[{"tag": "points-missed"}])
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id="o1", customer_id="c1", email="c@example.com", occurred_at=T0,
                                  lines=[{"product_id": "p", "quantity": 1, "total": 5.0, "category": "mugs"}])
    tags = set(Customer.objects.get().tags)
    assert "points-seen" in tags and "points-missed" not in tags, "the fact trigger saw both steps' changes"
    assert "saw-gold" in tags, "a rule of the same event whose condition the change made true fired"
