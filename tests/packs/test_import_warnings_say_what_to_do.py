"""An import warning says what to do about it, in the owner's words (issue 31, review 2): a missing
category points to the pack's values page; a fact two packs set is said as the customer's
“tier” (not an internal name) with the other pack's rules that set it to turn off; the pack's
data stays isolated; in Hebrew once the lead merged /tmp/he/f7.po."""
import pytest
from django.utils import translation

from masa.packs import load_pack
from masa.packs.import_warnings import import_warnings
from masa.packs.installer import import_pack

from .test_import_warns_before_it_overlaps import CATEGORIES, COFFEE, TIERS, store  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def plain(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "")


def test_a_missing_category_says_to_choose_the_stores_categories_on_the_values_page(store):
    store(CATEGORIES)
    warning = import_warnings(load_pack(COFFEE))[0]
    assert "After importing, choose your store's categories instead on the pack's values page" in warning
    assert "\u2068grinders\u2069" in warning, "the pack's names stay isolated as data"


def test_a_fact_two_packs_set_names_it_in_words_and_the_rules_to_turn_off(store):
    store(CATEGORIES)
    import_pack(load_pack(TIERS))
    warning = next(w for w in import_warnings(load_pack(COFFEE)) if "Loyalty tiers" in w)
    assert "sets “tier” for each customer" in plain(warning)
    assert "After importing, turn off the rules that set it in one of the two packs" in warning
    assert "in Loyalty tiers:" in plain(warning)


def test_in_hebrew_the_advice_is_in_hebrew(store):
    store(CATEGORIES)
    with translation.override("he"):
        warning = import_warnings(load_pack(COFFEE))[0]
    assert "After importing" not in warning and "דף הערכים" in warning
