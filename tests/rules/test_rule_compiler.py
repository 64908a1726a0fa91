"""Rule definitions compile to engine conditions and plans; mistakes name the rule and field."""
from datetime import timedelta

import pytest

from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.durations import parse_duration

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
    assert [(a.step, a.waits, a.params["template"], a.guard) for a in rule.plan] == [
        (1, ({"for": 2 * 86400},), "thanks", []),
        (4, ({"for": 2 * 86400}, {"for": 1.5 * 86400}), "reminder", [{"not_bought_since": {"category": "vitamins"}}]),
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
        ({"once": "forever"}, "once", "one of"),
        ({"trigger": {"fact": "tier", "above": "x"}}, "trigger.above", "must be a number"),
        ({"conditions": [{"since": "birth", "op": ">", "value": "30d"}]}, "conditions[0].since", "one of last_order"),
        ({"conditions": [{"orders": {}, "op": ">", "value": 1}]}, "conditions[0].orders", "needs 'within'"),
        ({"conditions": [{"fact": "orders_count", "op": "in", "value": 3}]}, "conditions[0].value", "non-empty list"),
        ({"conditions": [{"colour": "red"}]}, "conditions[0]", "unknown condition"),
        ({"steps": [{"wait": {"until": "25:00"}}, {"send": {"template": "t"}}]}, "steps[0].wait.until", "HH:MM"),
        ({"steps": [{"wait": {"refill": {}}}, {"send": {"template": "t"}}]}, "steps[0].wait.refill", "needs a 'period'"),
        ({"steps": [{"set": {"fact": "tier"}}]}, "steps[0].set.value", "must be a text"),
        ({"steps": [{"emit": "bad name!"}]}, "steps[0].emit", "must be an event name"),
        ({"steps": [{"send": {"template": "t", "colour": "red"}}]}, "steps[0].send.colour", "unknown option"),
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


def condition_terms(conditions):
    return compile_rule("r", {**GOOD, "conditions": conditions}).condition[1]["c"]["$and"][1:]


def test_purchase_history_conditions_compile_to_key_tests():
    assert condition_terms([{"bought": {"category": "walkers"}}]) == [{"$ex": {"cat__walkers": 1}}]
    assert condition_terms([{"not_bought": {"category": ["a", "b"]}}]) == [{"$and": [{"$nex": {"cat__a": 1}}, {"$nex": {"cat__b": 1}}]}]
    assert condition_terms([{"count": {"category": "pads"}, "op": "<", "value": 3}]) == [
        {"$or": [{"$nex": {"cat__pads": 1}}, {"$lt": {"cat__pads": 3}}]}]
    assert condition_terms([{"count": {"category": "pads"}, "op": ">=", "value": 3}]) == [{"$gte": {"cat__pads": 3}}]
    assert condition_terms([{"since": "last_order", "op": ">", "value": "180d"}]) == [{"$gt": {"since__last_order": 180.0}}]
    assert condition_terms([{"tagged": "vip"}, {"not_tagged": "staff"}]) == [{"$ex": {"tag__vip": 1}}, {"$nex": {"tag__staff": 1}}]
    assert condition_terms([{"fact": "facts.city", "op": "in", "value": ["Haifa", "Acre"]}]) == [
        {"$or": [{"facts__city": "Haifa"}, {"facts__city": "Acre"}]}]


def test_order_windows_are_collected_for_the_fact_builder():
    rule = compile_rule("r", {**GOOD, "conditions": [{"orders": {"within": "365d"}, "op": ">=", "value": 3}]})
    assert rule.windows == {365 * 86400}
    assert rule.condition[1]["c"]["$and"][1] == {"$gte": {"orders_within__31536000": 3}}


def test_event_conditions_test_the_trigger_fact():
    rule = compile_rule("r", {**GOOD, "conditions": [{"event": "channel", "value": "web"}]})
    assert {"channel": "web"} in rule.condition[0]["e"]["$and"]
    assert len(rule.condition) == 1


def test_a_fact_trigger_fires_on_crossing_a_threshold():
    rule = compile_rule("r", {"trigger": {"fact": "score", "above": 20}, "steps": [{"tag": "ready"}]})
    assert rule.condition[0]["e"]["$and"] == [
        {"kind": "change"}, {"fact": "score"}, {"$gte": {"new": 20}}, {"$or": [{"$nex": {"old": 1}}, {"$lt": {"old": 20}}]}]
    assert rule.effects == [{"op": "tag", "fact": "tags", "value": "ready"}] and rule.plan == []


def test_effects_before_a_wait_apply_at_once_and_after_it_are_scheduled():
    rule = compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": [
        {"increment": {"fact": "points", "by": 5}}, {"wait": "30d"}, {"set": {"fact": "tier", "value": "weak"}}]})
    assert rule.effects == [{"op": "increment", "fact": "points", "value": 5}]
    assert [(a.kind, a.params) for a in rule.plan] == [("effect", {"op": "set", "fact": "tier", "value": "weak"})]
