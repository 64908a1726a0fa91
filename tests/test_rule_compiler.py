"""Rule definitions compile to engine conditions and plans; mistakes name the rule and field."""
from datetime import timedelta

import pytest

from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.rules.durations import parse_duration

GOOD = {
    "trigger": {"event": "order_placed", "category": ["absorbent", "vitamins"], "min_total": 10},
    "conditions": [{"fact": "orders_count", "op": ">=", "value": 2}, {"fact": "facts.tier", "value": "strong"}],
    "steps": [
        {"wait": "2d"},
        {"send": {"template": "thanks", "class": "transactional"}},
        {"wait": "1d12h"},
        {"check": {"not_bought_since": {"category": "vitamins"}}},
        {"send": {"channel": "email", "template": "reminder"}},
    ],
}


def test_a_rule_compiles_to_a_condition_and_a_plan_with_cumulative_delays():
    rule = compile_rule("r", GOOD)
    event, customer = rule.condition[0]["e"]["$and"], rule.condition[1]["c"]["$and"]
    assert {"type": "order_placed"} in event and {"$gte": {"total": 10}} in event
    assert {"$or": [{"$iany": {"categories": {"$i": "absorbent"}}}, {"$iany": {"categories": {"$i": "vitamins"}}}]} in event
    assert {"$gte": {"orders_count": 2}} in customer and {"facts__tier": "strong"} in customer
    assert [(a.step, a.delay, a.params["template"], a.guard) for a in rule.plan] == [
        (1, timedelta(days=2), "thanks", []),
        (4, timedelta(days=3, hours=12), "reminder", [{"not_bought_since": {"category": "vitamins"}}]),
    ]
    assert rule.plan[1].params == {"channel": "email", "template": "reminder", "class": "marketing"}


@pytest.mark.parametrize(
    "change, field, problem",
    [
        ({"trigger": {"event": "order_exploded"}}, "trigger.event", "unknown event 'order_exploded'"),
        ({"trigger": {"event": "order_placed", "colour": "red"}}, "trigger.colour", "unknown filter"),
        ({"trigger": {"event": "order_placed", "min_total": "ten"}}, "trigger.min_total", "must be a number"),
        ({"conditions": [{"fact": "shoe_size", "value": 3}]}, "conditions[0].fact", "unknown fact 'shoe_size'"),
        ({"conditions": [{"fact": "orders_count", "op": "~", "value": 3}]}, "conditions[0].op", "unknown operator"),
        ({"steps": [{"wait": "soon"}, {"send": {"template": "t"}}]}, "steps[0].wait", "is not a duration"),
        ({"steps": [{"send": {}}]}, "steps[0].send", "needs a 'template'"),
        ({"steps": [{"teleport": 1}]}, "steps[0].teleport", "unknown step"),
        ({"steps": [{"wait": "1d"}]}, "steps", "has nothing to do"),
        ({"steps": [{"check": {"moon_phase": "full"}}, {"send": {"template": "t"}}]}, "steps[0].check.moon_phase", "unknown guard"),
        ({"priority": 1}, "priority", "unknown field"),
    ],
)
def test_a_mistake_names_the_rule_and_the_field(change, field, problem):
    with pytest.raises(RuleDefinitionError) as raised:
        compile_rule("refill", {**GOOD, **change})
    assert raised.value.rule_id == "refill" and raised.value.field_path == field
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"rule 'refill', {field}: ")


@pytest.mark.parametrize("text, expected", [
    ("25d", timedelta(days=25)), ("36h", timedelta(hours=36)), ("1d12h", timedelta(days=1, hours=12)),
    ("2w", timedelta(weeks=2)), ("90m", timedelta(minutes=90)), (3600, timedelta(hours=1)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d", "25", "25x", "1d soon", None])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)
