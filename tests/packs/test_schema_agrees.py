"""The published JSON Schema (what a YAML editor checks while an agency types) and the pack
loader (what Masa enforces) agree: on the shipped packs and on a corpus of right and wrong rules."""
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from masa import events
from masa.actions.guards import GUARDS
from masa.packs import PackError, load_pack
from masa.packs.loader import SCHEMA
from masa.packs.shipped import shipped_packs
from masa.rules.compiler import CONDITION_OPTIONS, ONCE_SCOPES, OPERATORS
from masa.rules.steps import STEPS

CORPUS = yaml.safe_load((Path(__file__).with_name("schema_corpus.yaml")).read_text())
VALIDATOR = Draft202012Validator(SCHEMA)


def small_pack(rule: dict) -> dict:
    return {"masa_pack": 1, "id": "corpus", "version": "1.0.0", "title": "Corpus",
            "parameters": {"lead": {"type": "duration", "default": "5d"}},
            "templates": {"t": {"subject": "Hi", "body": "Hello {{ customer.first_name }}"}},
            "rules": [{"id": "r", **rule}]}


def loader_accepts(document: dict) -> bool:
    try:
        load_pack(yaml.safe_dump(document, allow_unicode=True), "corpus.yaml")
    except PackError:
        return False
    return True


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_schema_and_loader_agree_on_the_corpus(case):
    document = small_pack(case["rule"])
    schema_errors = [error.message for error in VALIDATOR.iter_errors(document)]
    assert (not schema_errors) == case["valid"], schema_errors
    assert loader_accepts(document) == case["valid"]


@pytest.mark.parametrize("name", sorted(shipped_packs()))
def test_every_shipped_pack_is_valid_under_the_schema(name):
    document = yaml.safe_load(shipped_packs()[name])
    assert [error.message for error in VALIDATOR.iter_errors(document)] == []


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_names_what_the_loader_knows():
    """A new event type, step kind, guard, condition or operator is in the editor's completion too."""
    defs = SCHEMA["$defs"]
    assert set(defs["event_name"]["anyOf"][0]["enum"]) == set(events.NAMES)
    assert set(defs["step"]["properties"]) == set(STEPS)
    assert set(defs["check"]["properties"]) == set(GUARDS)
    assert set(SCHEMA["properties"]["rules"]["items"]["properties"]["once"]["enum"]) == ONCE_SCOPES
    assert set(defs["op"]["enum"]) == {*OPERATORS, "in", "not_in", "exists", "missing"}
    kinds = {next(iter(option["required"])) for option in defs["condition"]["oneOf"]}
    assert kinds == set(CONDITION_OPTIONS)


def test_every_step_and_condition_in_the_schema_has_a_description_and_an_example():
    defs = SCHEMA["$defs"]
    for name, step in defs["step"]["properties"].items():
        resolved = defs[step["$ref"].rsplit("/", 1)[1]] if "$ref" in step and len(step) == 1 else step
        assert resolved.get("description"), name
    for option in defs["condition"]["oneOf"]:
        assert option.get("description"), option["required"]
