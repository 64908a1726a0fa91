"""Every step kind in the registry (one folder each in plugin/rules/steps/) passes the same
contract: its example compiles inside a rule, it names the templates it uses, what it plans has a
performer in the action stage, an action it planned is said back in its rule's words, its
editable fields exist in the step, it has a label and a schema, and the pack reference documents it."""
import pytest

from masa.actions.perform import PERFORMERS
from masa.packs.schema import step_reference_problems
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
        assert kind.plans in planned or (kind.immediate and compiled.effects)
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
        for part in editable.path[:-1]:
            value = value[part]
        assert editable.path[-1] in value or editable.default is not None  # or left out, with what that means
        assert editable.kind in ("duration", "template", "channel", "channels", "message_class") and editable.label


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_what_it_plans_is_said_back_in_its_rules_words(kind):
    """The admin's timeline says a pending action as its step's part of the rule's sentence."""
    from masa.rules.sentences import Words

    compiled = compile_rule("contract", definition(kind))
    params = [action.params for action in compiled.plan if action.kind == kind.plans]
    params += [effect for effect in compiled.effects if kind.immediate]
    if not kind.plans:
        return
    said = [kind.planned_argument(p) for p in params if kind.planned_argument(p) is not None]
    assert said, f"{kind.name}: planned_argument says none of its own actions"
    assert all(str(kind.describe(argument, Words())) for argument in said)


@pytest.mark.parametrize("kind", STEPS.values(), ids=lambda kind: kind.name)
def test_it_has_a_label_and_a_schema_with_a_description(kind):
    assert str(kind.label)
    schema = kind.schema
    if set(schema) == {"$ref"}:
        schema = kind.schema_defs[schema["$ref"].rsplit("/", 1)[1]]
    assert schema.get("description"), f"{kind.name}: its schema says nothing of it"


def test_the_pack_reference_documents_every_kind_and_no_other():
    assert step_reference_problems(REFERENCE) == []


def test_every_performer_performs_a_kind_something_plans():
    from masa.actions import abandonment

    planned = {kind.plans for kind in STEPS.values() if kind.plans}
    assert set(PERFORMERS) == planned | {abandonment.KIND}


def test_every_kind_folder_is_packaged():
    """setup.cfg lists packages one by one: a kind's folder missing there would be missing installed."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    packaged = set(config["options"]["packages"].split())
    folders = {path.parent.name for path in (ROOT / "plugin" / "rules" / "steps").glob("*/__init__.py")}
    assert {f"masa.rules.steps.{folder}" for folder in folders} <= packaged
