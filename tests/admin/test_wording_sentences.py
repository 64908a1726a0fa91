"""A rule's sentence reads whole in Hebrew (issue 30, item 9): Hebrew words around the shop's
names, each name bidi-isolated (``<bdi>`` in HTML, Unicode isolates in plain text) and never glued
to a Hebrew prefix ("מהקטגוריה Absorbent", not "מAbsorbent"); durations in words."""
import re
from pathlib import Path

import pytest
from django.utils import translation

from masa.packs import load_pack_file
from masa.rules.sentences import Words, rule_sentence
from masa.rules.wording import FIRST_STRONG_ISOLATE as FSI
from masa.rules.wording import POP_DIRECTIONAL_ISOLATE as PDI

PACKS = Path(__file__).resolve().parents[2] / "packs"
SENIOR_CARE = load_pack_file(PACKS / "senior-care" / "pack.yaml")
LATIN = re.compile(r"[A-Za-z]")
HEBREW_LETTER = "\u05d0-\u05ea"


def senior_care_words(html: bool) -> Words:
    return Words.for_pack_file(SENIOR_CARE, html=html)


def senior_care_rules():
    return [pytest.param(rule, id=rule["id"]) for rule in SENIOR_CARE.rules]


def in_hebrew(rule, html: bool) -> str:
    with translation.override("he"):
        return str(rule_sentence(rule, senior_care_words(html)))


@pytest.mark.parametrize("rule", senior_care_rules())
def test_a_hebrew_sentence_in_html_has_no_latin_letters_outside_bdi(rule):
    sentence = in_hebrew(rule, html=True)
    outside = re.sub(r"<[^>]+>", "", re.sub(r"<bdi>.*?</bdi>", "", sentence))
    assert sentence.startswith("כאשר") and not LATIN.search(outside), sentence
    assert not re.search(rf"[{HEBREW_LETTER}][-־]?(?:<em>)?<bdi>", sentence), f"a prefix glued to a name: {sentence}"


@pytest.mark.parametrize("rule", senior_care_rules())
def test_a_plain_hebrew_sentence_is_whole_hebrew_words_and_isolated_names(rule):
    sentence = in_hebrew(rule, html=False)
    names = re.findall(f"{FSI}(.*?){PDI}", sentence)
    outside = re.sub(f"{FSI}.*?{PDI}", "", sentence)
    assert names and not LATIN.search(outside), sentence
    assert FSI not in outside and PDI not in outside, "every isolate is closed"
    assert not re.search(rf"[{HEBREW_LETTER}][-־]?{FSI}", sentence), f"a prefix glued to a name: {sentence}"


def test_the_category_is_said_as_a_category_not_glued_to_from():
    refill = next(rule for rule in SENIOR_CARE.rules if rule["id"] == "sc-refill-absorbent")
    assert "מהקטגוריה <em><bdi>Absorbent</bdi></em>" in in_hebrew(refill, html=True)
    assert f"מהקטגוריה {FSI}Absorbent{PDI}" in in_hebrew(refill, html=False)


def test_durations_are_words_in_the_admins_language_and_not_isolated():
    words = Words(html=True)
    assert words.duration("7d") == "<em>7 days</em>"
    with translation.override("he"):
        assert words.duration("7d") == "<em>7 ימים</em>"
        assert words.duration("2d") == "<em>יומיים</em>"
        assert Words().duration("14d") == "שבועיים"


def test_an_english_plain_sentence_isolates_only_right_to_left_names():
    words = Words({"thanks": "תודה על ההזמנה"})
    sentence = rule_sentence({"trigger": {"event": "category_bought", "category": "absorbent"},
                              "steps": [{"send": {"template": "thanks"}}]}, words)
    assert "from Absorbent" in sentence, "a Latin name in an English sentence needs no isolate"
    assert f"{FSI}“תודה על ההזמנה”{PDI}" in sentence


def test_numbers_and_times_are_emphasized_but_not_isolated():
    words = Words(html=True)
    assert words.name(20) == "<em>20</em>"
    assert words.name("10:00") == "<em>10:00</em>"
    assert words.name("gold") == "<em><bdi>gold</bdi></em>"


def test_an_isolated_name_is_still_escaped():
    words = Words(html=True)
    assert words.name("<b>x</b>") == "<em><bdi>&lt;b&gt;x&lt;/b&gt;</bdi></em>"


def test_true_and_false_are_said_as_words():
    sentence = rule_sentence({"trigger": {"event": "order_placed"},
                              "conditions": [{"fact": "marketing_consent", "value": True}], "steps": []}, Words())
    assert "their marketing consent is yes" in sentence and "True" not in sentence
    with translation.override("he"):
        assert "True" not in rule_sentence({"trigger": {"event": "order_placed"},
                                            "conditions": [{"fact": "vip", "value": False}], "steps": []}, Words())
