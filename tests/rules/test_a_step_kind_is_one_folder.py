"""A step kind is one folder (docs/architecture.md, "Add a step kind"): a throw-away kind written
into a folder the registry's package searches is found, and with nothing else edited it is in the
pack schema, compiles, is drawn on the journey under its label, is said in the rule's sentence and
in the admin's words for its pending actions, links rules by the facts it sets — and the schema
and docs checks name what is left to do (``make schema``, its docs section, a performer)."""
import sys

import pytest
from jsonschema import Draft202012Validator

from masa.actions.perform import PERFORMERS, performs
from masa.admin.journey import Journey, Links, facts_set
from masa.admin.wording import action_phrase
from masa.models import Rule, ScheduledAction
from masa.packs.schema import PATH, assemble, render, step_reference_problems
from masa.reports.journey import JourneyCounts
from masa.rules import steps
from masa.rules.compiler import compile_rule, walk_steps
from masa.rules.sentences import Words, rule_sentence
from masa.rules.steps import STEPS

from ..helpers import ROOT

KIND = '''
from masa.rules.steps.base import Build, StepKind


class ThrowAway(StepKind):
    name = "throw_away"
    plans = "throw_away"
    label = "Throw away"
    example = "old-cart"
    schema = {"type": "string", "minLength": 1, "description": "Throws a thing away", "examples": ["old-cart"]}

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, str) or not argument:
            compiler.fail(f"{build.where}.throw_away", "must name a thing")
        build.schedule(self.plans, {"thing": argument})

    def describe(self, argument, words) -> str:
        return words.say("throw {thing} away", thing=words.name(words.value(argument)))

    def sets(self, argument) -> set:
        return {f"thrown:{argument}"}

    def planned_argument(self, params: dict):
        return params.get("thing")


KINDS = [ThrowAway()]
'''
DEFINITION = {"trigger": {"event": "order_placed"}, "steps": [{"wait": "2d"}, {"throw_away": "old-cart"}]}


@pytest.fixture
def throw_away(tmp_path, monkeypatch):
    """The kind in a folder of its own, on the registry package's search path."""
    folder = tmp_path / "throw_away"
    folder.mkdir()
    (folder / "__init__.py").write_text(KIND)
    monkeypatch.setattr(steps, "__path__", [*steps.__path__, str(tmp_path)])
    found = steps.discover()
    assert set(found) - set(STEPS) == {"throw_away"}
    monkeypatch.setitem(STEPS, "throw_away", found["throw_away"])
    yield found["throw_away"]
    sys.modules.pop("masa.rules.steps.throw_away", None)


def test_it_is_in_the_assembled_schema_and_the_committed_file_is_then_stale(throw_away):
    schema = assemble()
    assert schema["$defs"]["step"]["properties"]["throw_away"] == throw_away.schema
    assert "throw_away" in schema["$defs"]["step"]["description"]
    pack = {"masa_pack": 1, "id": "p", "version": "1.0.0", "title": "P", "rules": [{"id": "r", **DEFINITION}]}
    assert list(Draft202012Validator(schema).iter_errors(pack)) == []
    assert render() != PATH.read_text(), "make schema would write it"


def test_it_compiles_and_the_performer_check_asks_for_its_performer(throw_away):
    compiled = compile_rule("r", DEFINITION)
    assert [(action.kind, action.params) for action in compiled.plan] == [("throw_away", {"thing": "old-cart"})]
    assert throw_away.plans not in PERFORMERS, "tests/rules/test_step_kinds.py fails until it has one"
    performs("throw_away")(lambda action, now: None)
    try:
        assert throw_away.plans in PERFORMERS
    finally:
        PERFORMERS.pop("throw_away")


def test_the_journey_draws_it_under_its_label_and_links_rules_by_what_it_sets(throw_away):
    rule = Rule(pk=1, rule_id="r", title="R", pack="local", definition=DEFINITION)
    drawing = Journey(rule, Words(), JourneyCounts(), {}, Links({}, {})).draw()
    wait, thrown = drawing.boxes[1:]
    assert (thrown.label, thrown.text) == ("Throw away", "throw old-cart away")
    assert [figure.label for figure in wait.figures] == ["waiting now"]
    assert [figure.label for figure in thrown.figures] == ["done"]
    assert facts_set(DEFINITION["steps"]) == {"thrown:old-cart"}
    other = Rule(pk=2, rule_id="o", title="O", pack="local", definition={"trigger": {"fact": "thrown:old-cart"}})
    assert Links.of([rule, other]).starts == {"thrown:old-cart": [other]}


def test_the_sentence_and_the_admins_words_say_it(throw_away):
    assert "throw old-cart away" in rule_sentence(DEFINITION)
    action = ScheduledAction(kind="throw_away", params={"thing": "old-cart"})
    assert action_phrase(action, Words()) == "throw old-cart away"
    assert [path for path, _ in walk_steps(DEFINITION["steps"])] == [("steps", 0), ("steps", 1)]


def test_the_docs_check_asks_for_its_section(throw_away):
    reference = (ROOT / "docs" / "rule-packs.md").read_text()
    assert step_reference_problems(reference) == ["docs/rule-packs.md does not document the throw_away step"]
    row = "| `emit: NAME` |"
    documented = reference.replace(row, "| `throw_away: THING` | throws the thing away |\n" + row, 1)
    assert step_reference_problems(documented) == []
