"""Every step kind in the registry (plugin/rules/steps/) passes the same contract: its example
compiles inside a rule, it names the templates it uses, what it plans has a performer in the
action stage, its editable fields exist in the step, and the pack reference documents it."""
import re

import pytest

from masa.actions.perform import PERFORMERS
from masa.rules.compiler import compile_rule, used_templates
from masa.rules.steps import STEPS

from ..helpers import ROOT

REFERENCE = (ROOT / "docs" / "rule-packs.md").read_text()


def definition(kind):
    return {"trigger": {"event": "order_placed"}, "steps": [{"tag": "contract"}, {kind.name: kind.example}]}


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_the_example_compiles_and_what_it_plans_has_a_performer(kind):
    compiled = compile_rule("contract", definition(kind))
    planned = {action.kind for action in compiled.plan}
    if kind.plans:
        assert kind.plans in planned or (kind.name in ("set", "increment", "tag", "untag", "stamp", "pause_marketing")
                                          and compiled.effects)
        assert kind.plans in PERFORMERS, f"no performer for {kind.plans!r} in masa.actions.perform"
    assert planned <= set(PERFORMERS)


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_the_templates_it_names_are_the_rules_templates(kind):
    assert kind.templates(kind.example) <= used_templates(definition(kind))
    if kind.sends_message:
        assert kind.templates(kind.example)


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_its_editable_fields_are_values_of_the_step(kind):
    step = {kind.name: kind.example}
    for editable in kind.fields(kind.example):
        value = step
        for part in editable.path:
            value = value[part]
        assert editable.kind in ("duration", "template", "channel", "message_class") and editable.label


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_the_pack_reference_documents_it(kind):
    assert re.search(rf"`{kind.name}[`:]", REFERENCE), f"docs/rule-packs.md does not document the {kind.name} step"


def test_every_performer_performs_a_kind_something_plans():
    from masa.actions import abandonment

    planned = {kind.plans for kind in STEPS.values() if kind.plans}
    assert set(PERFORMERS) == planned | {abandonment.KIND}
