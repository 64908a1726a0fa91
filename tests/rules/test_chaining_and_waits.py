"""Forward chaining through the database, waits for events, and cycles caught at run time."""
from datetime import datetime, timedelta, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Customer, MessageTemplate, Rule, RuleFiring, ScheduledAction, StoreEvent
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.actions.due import sweep

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def order(number, at, category="mugs"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id=f"o{number}", customer_id="c1", email="c@example.com",
                                  occurred_at=at, marketing_consent=True, lines=[{"product_id": "p", "quantity": 1, "total": 5.0,
                                                          "category": category}])


def rule(rule_id, **definition):
    return Rule.objects.create(rule_id=rule_id, title=rule_id, definition=definition)


def test_a_fact_set_by_one_rule_fires_the_rule_watching_it_in_the_same_evaluation():
    rule("count-to-gold", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": ">=", "value": 2}],
         steps=[{"set": {"fact": "tier", "value": "gold"}}])
    rule("gold-points", trigger={"fact": "tier", "to": "gold"}, steps=[{"increment": {"fact": "points", "by": 100}}])
    rule("rich", trigger={"fact": "points", "above": 50}, steps=[{"tag": "rich"}])

    order(1, T0)
    assert Customer.objects.get().facts == {}
    order(2, T0 + timedelta(days=1))

    customer = Customer.objects.get()
    assert customer.facts == {"tier": "gold", "points": 100} and customer.tags == ["rich"]
    firings = {f.rule.rule_id: f.facts_set for f in RuleFiring.objects.all()}
    assert firings == {"count-to-gold": {"tier": "gold"}, "gold-points": {"points": 100}, "rich": {"tag:rich": True}}
    assert StoreEvent.objects.filter(name="order_placed", status="processed").count() == 2


def test_rules_stored_in_a_cycle_fail_the_event_with_the_cycle_and_write_nothing():
    rule("ping", trigger={"fact": "pong"}, steps=[{"increment": {"fact": "ping"}}])
    rule("pong", trigger={"fact": "ping"}, steps=[{"increment": {"fact": "pong"}}])
    rule("start", trigger={"event": "order_placed"}, steps=[{"increment": {"fact": "ping"}}])

    order(1, T0)

    event = StoreEvent.objects.get(name="order_placed")
    assert event.status == "failed" and "the rules form a cycle" in event.error
    assert RuleFiring.objects.count() == 0 and Customer.objects.get().facts == {}


@pytest.fixture
def nudge_rule(db):
    from masa.models import Channel

    Channel.objects.create(name="mail", kind="email")
    MessageTemplate.objects.create(key="nudge", subject="Hello", body="Come back")
    return rule("second-order", once="customer", trigger={"event": "order_placed"}, steps=[
        {"wait": {"event": "order_placed", "within": "30d", "on_event": [{"tag": "returning"}],
                  "on_timeout": [{"wait": "1d"}, {"send": {"template": "nudge"}}]}}])


def test_a_wait_for_an_event_times_out_into_its_timeout_branch(nudge_rule):
    order(1, T0)
    waiting = ScheduledAction.objects.get(kind="await")
    assert waiting.due_at == T0 + timedelta(days=30)

    assert sweep(now=T0 + timedelta(days=30)) == {"done": 1}
    waiting.refresh_from_db()
    assert waiting.outcome == "no order_placed within 30 days"
    nudge = ScheduledAction.objects.get(kind="send")
    assert nudge.due_at == T0 + timedelta(days=31)
    assert sweep(now=T0 + timedelta(days=31)) == {"done": 1}


def test_the_awaited_event_takes_the_event_branch(nudge_rule):
    order(1, T0)
    order(2, T0 + timedelta(days=5))

    waiting = ScheduledAction.objects.get(kind="await")
    assert waiting.status == "done" and waiting.outcome == "order_placed arrived on 2026-03-06 12:00"
    with TestCase.captureOnCommitCallbacks(execute=True):
        sweep(now=T0 + timedelta(days=5))
    assert Customer.objects.get().tags == ["returning"]
    assert not ScheduledAction.objects.filter(kind="send").exists()


@pytest.mark.parametrize("steps, field", [
    ([{"wait": {"event": "order_placed", "within": "2d", "on_event": [{"tag": "x"}]}}, {"tag": "y"}], "steps[0].wait"),
    ([{"wait": {"event": "nope", "within": "2d", "on_event": [{"tag": "x"}]}}], "steps[0].wait.event"),
    ([{"wait": {"event": "order_placed", "within": "2d"}}], "steps[0].wait"),
    ([{"wait": {"event": "order_placed", "within": "2d", "on_timeout": [{"send": {}}]}}], "steps[0].wait.on_timeout[0].send"),
])
def test_wait_for_event_mistakes_name_the_field(steps, field):
    with pytest.raises(RuleDefinitionError) as raised:
        compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": steps})
    assert raised.value.field_path == field
