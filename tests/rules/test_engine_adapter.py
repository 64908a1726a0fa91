"""Conformance of the durable-rules adapter: the guarantees Masa relies on (docs/architecture.md, "durable-rules")."""
import pytest

from masa.rules import engine

EVENT = {"$and": [{"kind": "event"}, {"type": "order_placed"}]}


def change(field, **extra):
    return {"$and": [{"kind": "change"}, {"field": field}, *({k: v} for k, v in extra.items())]}


def test_a_matching_fact_fires_its_rule_with_the_matched_fact():
    ruleset = engine.compile_ruleset({"thanks": [{"e": EVENT}]})
    firings = ruleset.run([{"id": "event:1", "kind": "event", "type": "order_placed"}], lambda f: None)
    assert [(f.rule_id, f.matched["e"]["id"]) for f in firings] == [("thanks", "event:1")]


def test_facts_returned_by_an_action_fire_further_rules_in_the_same_run():
    ruleset = engine.compile_ruleset({
        "count": [{"e": EVENT}],
        "tier": [{"f": {"$and": [{"kind": "change"}, {"field": "orders"}, {"$gte": {"value": 3}}]}}],
        "reward": [{"f": change("tier", value="strong")}],
    })

    def act(firing):
        if firing.rule_id == "count":
            return [{"kind": "change", "field": "orders", "value": 3}]
        if firing.rule_id == "tier":
            return [{"kind": "change", "field": "tier", "value": "strong"}]
        return None

    firings = ruleset.run([{"kind": "event", "type": "order_placed"}], act)
    assert [f.rule_id for f in firings] == ["count", "tier", "reward"]


def test_no_state_leaks_from_one_evaluation_to_the_next():
    ruleset = engine.compile_ruleset({
        "vip-order": [{"e": EVENT}, {"c": {"$and": [{"kind": "customer"}, {"vip": True}]}}],
    })
    first = ruleset.run([{"kind": "customer", "vip": True}], lambda f: None)
    second = ruleset.run([{"kind": "event", "type": "order_placed"}], lambda f: None)
    third = ruleset.run([{"kind": "customer", "vip": False}, {"kind": "event", "type": "order_placed"}], lambda f: None)
    assert (first, second, third) == ([], [], [])


def test_more_than_1024_evaluations_in_one_process_keep_working():
    ruleset = engine.compile_ruleset({"many": [{"e": change("x")}]})
    fired = sum(len(ruleset.run([{"kind": "change", "field": "x"}], lambda f: None)) for _ in range(1500))
    assert fired == 1500


def test_an_exception_in_an_action_surfaces_as_an_error_and_the_next_run_is_clean():
    ruleset = engine.compile_ruleset({"boom": [{"e": change("boom")}]})

    def explode(firing):
        raise ValueError("template exploded")

    with pytest.raises(engine.RuleActionError, match="rule 'boom' failed: ValueError: template exploded"):
        ruleset.run([{"kind": "change", "field": "boom"}], explode)
    assert len(ruleset.run([{"kind": "change", "field": "boom"}], lambda f: None)) == 1


def test_rules_that_keep_firing_each_other_stop_with_a_cycle_error():
    ruleset = engine.compile_ruleset({"ping": [{"f": change("ping")}]})
    with pytest.raises(engine.ChainLimitError, match="cycle"):
        ruleset.run([{"kind": "change", "field": "ping"}], lambda f: [{"kind": "change", "field": "ping"}])


def test_identical_facts_are_distinct_facts():
    ruleset = engine.compile_ruleset({"each": [{"e": change("same")}]})
    facts = [{"kind": "change", "field": "same"}] * 5
    assert len(ruleset.run(facts, lambda f: None)) == 5


def test_rulesets_are_named_by_content_and_registered_once():
    conditions = {"a": [{"e": change("a")}]}
    assert engine.compile_ruleset(conditions) is engine.compile_ruleset(dict(conditions))
    changed = engine.compile_ruleset({"a": [{"e": change("b")}]})
    assert changed.name != engine.compile_ruleset(conditions).name


def test_array_membership_matches_any_item():
    ruleset = engine.compile_ruleset({"walkers": [{"e": {"$and": [{"kind": "event"}, {"$iany": {"categories": {"$i": "walkers"}}}]}}]})
    assert len(ruleset.run([{"kind": "event", "categories": ["pads", "walkers"]}], lambda f: None)) == 1
    assert ruleset.run([{"kind": "event", "categories": ["pads"]}], lambda f: None) == []


def test_an_empty_ruleset_fires_nothing():
    assert engine.compile_ruleset({}).run([{"kind": "event"}], lambda f: None) == []


def test_more_than_500_rules_are_sharded_and_chaining_crosses_shards():
    conditions = {f"filler-{i}": [{"e": change(f"never-{i}")}] for i in range(1200)}
    conditions["first"] = [{"e": EVENT}]
    conditions["last"] = [{"f": change("from-first")}]
    ruleset = engine.compile_ruleset(conditions)
    assert len(ruleset._shards) == -(-1202 // engine.SHARD_WEIGHT)

    def act(firing):
        return [{"kind": "change", "field": "from-first"}] if firing.rule_id == "first" else None

    firings = ruleset.run([{"kind": "event", "type": "order_placed"}], act)
    assert [f.rule_id for f in firings] == ["first", "last"]
    assert ruleset.run([{"kind": "change", "field": "never-1100"}], lambda f: None)[0].rule_id == "filler-1100"


def test_a_replaced_fact_does_not_fire_twice_for_the_same_match():
    ruleset = engine.compile_ruleset({
        "gold": [{"c": {"$and": [{"kind": "customer"}, {"tier": "gold"}]}}],
        "upgrade": [{"e": EVENT}],
    })

    def act(firing):
        if firing.rule_id == "upgrade":
            return [{"id": "customer:1", "kind": "customer", "tier": "gold"}]
        return None

    firings = ruleset.run([{"id": "customer:1", "kind": "customer", "tier": "silver"},
                           {"kind": "event", "type": "order_placed"}], act)
    assert [f.rule_id for f in firings] == ["upgrade", "gold"]
