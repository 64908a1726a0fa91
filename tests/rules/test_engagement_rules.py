"""The rule-pack pieces the engagement pack is made of: segments, all / since-a-date-fact
conditions, no_event_since, stamp and pause_marketing, and the cycle check that lets a counter
reset itself below its own threshold."""
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from masa.models import Customer
from masa.packs import PackError, load_pack
from masa.rules import factkeys
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.durations import as_time
from masa.rules.facts import apply_effect, customer_fact
from masa.rules.segments import compile_definition

ENGAGEMENT = Path(__file__).resolve().parents[2] / "packs" / "engagement" / "pack.yaml"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SEGMENTS = {"warm": [{"fact": "facts.score", "op": ">=", "value": "$warm"}, {"fact": "facts.score", "op": "<", "value": 25}]}


def customer_terms(rule):
    return rule.condition[1]["c"]["$and"][1:]


def test_a_segment_is_expanded_where_it_is_used_with_the_packs_parameters():
    definition = {"trigger": {"event": "message_opened"}, "conditions": [{"segment": "warm"}],
                  "steps": [{"tag": "warm"}]}
    rule = compile_definition("r", definition, {"warm": 15}, SEGMENTS)
    assert customer_terms(rule) == [{"$and": [{"$gte": {"facts__score": 15}}, {"$lt": {"facts__score": 25}}]}]
    with pytest.raises(RuleDefinitionError, match=r"conditions\[0\].segment: unknown segment 'hot'; the pack declares: warm"):
        compile_definition("r", {**definition, "conditions": [{"segment": "hot"}]}, {"warm": 15}, SEGMENTS)


def test_a_segment_cannot_use_another_and_a_pack_names_its_problems():
    document = yaml.safe_load(ENGAGEMENT.read_text())
    document["segments"]["loop"] = [{"segment": "warm"}]
    document["rules"][0]["conditions"] = [{"segment": "lukewarm"}]
    with pytest.raises(PackError) as raised:
        load_pack(yaml.safe_dump(document), "pack.yaml")
    assert "pack.yaml: segments.loop: a segment cannot use another segment" in raised.value.problems
    assert any("unknown segment 'lukewarm'" in problem for problem in raised.value.problems)


def test_since_a_date_fact_compares_days():
    rule = compile_rule("r", {"trigger": {"event": "custom.invoice_paid"},
                              "conditions": [{"since": {"fact": "invoice_sent_at"}, "op": ">", "value": "14d"}],
                              "steps": [{"tag": "late-payer"}]})
    assert customer_terms(rule) == [{"$gt": {factkeys.since_fact("invoice_sent_at"): 14.0}}]
    customer = Customer(pk=1, email="a@b.c", facts={"invoice_sent_at": "2026-02-01T12:00:00+00:00", "birthday": "03-14"})
    fact = customer_fact(customer, AT)
    assert fact[factkeys.since_fact("invoice_sent_at")] == 28.0
    assert factkeys.since_fact("birthday") not in fact


def test_stamp_sets_the_event_time_and_pause_only_ever_extends():
    customer = Customer(email="a@b.c", facts={})
    apply_effect(customer, {"op": "stamp", "fact": "invoice_sent_at", "value": None}, AT)
    assert customer.facts["invoice_sent_at"] == "2026-03-01T12:00:00+00:00"
    apply_effect(customer, {"op": "pause", "fact": "marketing_paused_until", "value": 30 * 86400}, AT)
    assert as_time(customer.facts["marketing_paused_until"]) == datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
    apply_effect(customer, {"op": "pause", "fact": "marketing_paused_until", "value": 86400}, AT)
    assert as_time(customer.facts["marketing_paused_until"]) == datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("step, field, problem", [
    ({"stamp": "Not A Fact"}, "steps[0].stamp", "must be a fact name"),
    ({"pause_marketing": "a while"}, "steps[0].pause_marketing", "is not a duration"),
    ({"check": {"no_event_since": "invoice_paid"}}, "steps[0].check.no_event_since", "unknown event 'invoice_paid'"),
])
def test_new_steps_name_their_mistakes(step, field, problem):
    with pytest.raises(RuleDefinitionError) as raised:
        compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": [step, {"tag": "x"}]})
    assert (raised.value.field_path, problem in raised.value.problem) == (field, True)


def test_all_groups_conditions_inside_any():
    rule = compile_rule("r", {"trigger": {"event": "order_placed"}, "conditions": [
        {"any": [{"all": [{"fact": "facts.city", "value": "Haifa"}, {"tagged": "vip"}]}, {"fact": "orders_count", "value": 9}]}],
        "steps": [{"tag": "x"}]})
    assert customer_terms(rule) == [{"$or": [{"$and": [{"facts__city": "Haifa"}, {"$ex": {"tag__vip": 1}}]}, {"orders_count": 9}]}]


def pack_with(rules):
    return yaml.safe_dump({"masa_pack": 1, "id": "p", "version": "1.0.0", "title": "P", "rules": rules})


def test_a_counter_reset_below_its_own_threshold_is_not_a_cycle_but_a_real_loop_is():
    reset = {"id": "penalty", "trigger": {"fact": "streak", "above": 3},
             "steps": [{"increment": {"fact": "score", "by": -2}}, {"set": {"fact": "streak", "value": 0}}]}
    assert load_pack(pack_with([reset])).compiled["penalty"]
    looping = {**reset, "steps": [{"set": {"fact": "streak", "value": 5}}]}
    with pytest.raises(PackError, match="rules form a cycle: penalty → penalty"):
        load_pack(pack_with([looping]))
    counting = {**reset, "steps": [{"increment": {"fact": "streak"}}]}
    with pytest.raises(PackError, match="cycle"):
        load_pack(pack_with([counting]))


@pytest.mark.django_db
def test_segments_survive_import_and_export(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}  # the pack's links need it
    from masa.models import RulePack
    from masa.packs.installer import export_pack, import_pack
    from masa.packs.loader import load_pack_file

    pack = load_pack_file(ENGAGEMENT)
    import_pack(pack)
    assert RulePack.objects.get().segments == pack.segments
    again = load_pack(export_pack("engagement"), "exported.yaml")
    assert again.segments == pack.segments and set(again.compiled) == set(pack.compiled)


def test_a_template_used_only_inside_a_branch_must_be_defined():
    branch = {"id": "nudge", "trigger": {"event": "order_placed"}, "steps": [
        {"wait": {"event": "message_opened", "within": "2d", "on_timeout": [{"send": {"template": "nowhere"}}]}}]}
    with pytest.raises(PackError) as raised:
        load_pack(pack_with([branch]), "pack.yaml")
    assert raised.value.problems == ["pack.yaml: rule 'nudge', steps: unknown template 'nowhere' (define it under templates)"]


@pytest.mark.django_db
def test_a_store_field_that_is_cleared_takes_its_fact_away_and_fact_triggers_see_it(client, signing_store):
    """Issue 19, item 1: a removed or emptied ``masa.city`` is no fact any more."""
    from masa.models import Customer, Rule, RuleFiring

    from ..helpers import customer_payload, post_signed

    Rule.objects.create(rule_id="city-changed", title="city changed",
                        definition={"trigger": {"fact": "city"}, "steps": [{"tag": "city-changed"}]})
    payload = customer_payload()
    payload["user"]["metadata"].append({"key": "masa.city", "value": "haifa"})
    post_signed(client, signing_store, "customer_created", payload)
    assert Customer.objects.get().facts["city"] == "haifa"

    for cleared in ([], [{"key": "masa.city", "value": ""}]):
        Customer.objects.update(facts={"city": "haifa"}, store_metadata={"masa.city": "haifa"}, tags=[])
        RuleFiring.objects.all().delete()
        update = customer_payload(when=datetime.now(timezone.utc))
        update["user"]["metadata"] = [{"key": "marketing_consent", "value": "true"}, *cleared]
        post_signed(client, signing_store, "customer_updated", update)
        customer = Customer.objects.get()
        assert "city" not in customer.facts, cleared
        assert customer.tags == ["city-changed"], "a plain {fact: city} trigger fires when the fact goes"
