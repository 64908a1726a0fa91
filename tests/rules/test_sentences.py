"""Every rule in one sentence a shop owner reads (issue 21): generated from its definition, in the
admin's language, escaped in HTML."""
from pathlib import Path

import pytest
from django.utils import translation

from masa.actions.guards import GUARDS
from masa.events import EVENT_TYPES
from masa.packs import load_pack_file
from masa.rules.sentences import Words, rule_sentence
from masa.rules.steps import STEPS
from masa.rules.steps.check import guard_words

PACKS = Path(__file__).resolve().parents[2] / "packs"


def pack_words(pack, html=False):
    parameters = {name: spec.get("default") for name, spec in (pack.parameters or {}).items()}
    templates = {key: t.get("subject") or t.get("body", "").strip().splitlines()[0] for key, t in (pack.templates or {}).items()}
    return Words(templates, parameters, html=html)


def shipped_rules() -> list:
    return [pytest.param(pack, rule, id=rule["id"]) for pack in map(load_pack_file, sorted(PACKS.glob("*/pack.yaml")))
            for rule in pack.rules]


@pytest.mark.parametrize("pack, rule", shipped_rules())
def test_every_shipped_rule_reads_as_one_sentence_without_code_in_it(pack, rule):
    for html in (False, True):
        sentence = str(rule_sentence(rule, pack_words(pack, html)))
        assert sentence.startswith("When ") and sentence.endswith(".")
        for code in ("{'", "['", "$", "_bought", "None", "steps["):
            assert code not in sentence, (code, sentence)


def refill_rule():
    pack = load_pack_file(PACKS / "senior-care" / "pack.yaml")
    return pack, next(rule for rule in pack.rules if rule["id"] == "sc-refill-absorbent")


def test_the_refill_rule_says_its_category_wait_check_and_message():
    pack, rule = refill_rule()
    assert rule_sentence(rule, pack_words(pack)) == (
        "When a customer buys from Absorbent: wait until 5 days before they should run out (one lasts 30 days, "
        "times the quantity bought; their own rhythm once they have ordered a few times); if they have not bought "
        "from Absorbent since, email “Running low on pads, {first name}?”.")


def test_the_sentence_uses_the_shops_parameter_values_not_the_packs_defaults():
    pack, rule = refill_rule()
    words = pack_words(pack)
    words.parameters["absorbent_period"] = "45d"
    assert "one lasts 45 days" in rule_sentence(rule, words)


def test_names_are_emphasized_and_everything_is_escaped_in_html():
    words = Words({"evil": "<script>alert(1)</script>"}, html=True)
    sentence = rule_sentence({"trigger": {"event": "category_bought", "category": "<b>pads</b>"},
                              "steps": [{"send": {"template": "evil"}}]}, words)
    assert "<script>" not in sentence and "&lt;script&gt;" in sentence
    assert "<b>" not in sentence and "<em>" in sentence


def test_the_sentence_is_in_the_admins_language():
    pack, rule = refill_rule()
    with translation.override("he"):
        sentence = rule_sentence(rule, pack_words(pack))
    assert sentence.startswith("כאשר") and "Running low on pads" in sentence and "When" not in sentence


def test_every_step_kind_says_its_example():
    words = Words()
    for name, kind in STEPS.items():
        said = str(kind.describe(kind.example, words))
        assert said and "_" not in said and "{" not in said, (name, said)


def test_every_guard_and_every_event_type_has_its_words():
    words = Words()
    for name, guard in GUARDS.items():
        argument = {"category": "pads"} if "bought" in name else ["order_placed"] if name == "no_event_since" else True
        assert guard_words(name, argument, words) != name
    assert [event.name for event in EVENT_TYPES if not event.when] == []
