"""Each item of a pack upgrade says what truly happens, in the shop's words, in English and Hebrew
(issue 31, fix round): a rule the new version drops that the shop edited offers "Keep mine" and
"Take the pack's" each saying what it does (and the choice is applied as said, the customers waiting
in it stopped); categories by the store's names, with a warning when the pack's new category is not
in the store; a map value one item per entry ("night-pants-l: 60 days"), never "60d" or two items
alike; a rule saved as a draft is said to be outside the upgrade; pack data inside Hebrew sentences
is bidi-isolated."""
import re
from datetime import timedelta

import pytest
import yaml
from django.core.cache import cache
from django.utils import timezone, translation

from masa.actions.guards import failed_guard
from masa.bidi import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE
from masa.models import Customer, MessageTemplate, RulePack, Rule, ScheduledAction, StoreEvent
from masa.packs import load_pack
from masa.packs.installer import import_pack, upgrade_pack
from masa.saleor.categories import CACHE_KEY

from .upgrade_fixtures import COFFEE, coffee

pytestmark = pytest.mark.django_db

RAW = re.compile(r"\b\d+[dhmw]\b|\{'|\['|ABSENT|None\b|\$[a-z_]+")   # "60d", Python reprs, $params


def items_of(report):
    return {item.id: item for item in report.items}


def without_introduce(version="1.1.0"):
    document = coffee(version)
    return document[:document.index("- id: coffee-introduce")] + document[document.index("- id: coffee-welcome"):]


def waiting_in(rule_id, count=2):
    """``count`` customers with a send of this rule still waiting."""
    rule = Rule.objects.get(rule_id=rule_id)
    actions = []
    for number in range(count):
        customer = Customer.objects.create(email=f"c{number}@example.com")
        event = StoreEvent.objects.create(source="test", source_id=f"w{number}", name="order_placed",
                                          customer=customer, occurred_at=timezone.now())
        actions.append(ScheduledAction.objects.create(
            idempotency_key=f"wait-{number}", rule=rule, customer=customer, event=event, step=1, path="steps[1]",
            kind="send", params={"template": "machine-tips"}, due_at=timezone.now() + timedelta(days=3)))
    return actions


def test_a_dropped_rule_the_shop_edited_says_what_each_choice_does_and_keep_mine_keeps_it_on():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    Rule.objects.filter(rule_id="coffee-introduce").update(title="Our machines")
    waiting = waiting_in("coffee-introduce")
    item = items_of(upgrade_pack(load_pack(without_introduce(), "c.yaml"), dry_run=True))["rule:coffee-introduce"]
    assert item.kind == "conflict"
    assert item.options["shop"] == "Keep mine: your version stays on, and later versions of the pack leave it alone"
    assert item.options["pack"] == ("Take the pack's: turned off and kept for its history; the 2 customers waiting "
                                    "in it get nothing more from it")
    assert "Keep mine: your version stays on" in item.sentence(), "the report says what the default choice does"
    upgrade_pack(load_pack(without_introduce(), "c.yaml"))
    rule = Rule.objects.get(rule_id="coffee-introduce")
    assert rule.enabled, "Keep mine: it stays on, as said"
    assert not any("turned off" in (failed_guard(ScheduledAction.objects.get(pk=action.pk)) or "")
                   for action in waiting), "who waits in it still goes on"
    report = upgrade_pack(load_pack(without_introduce("1.2.0"), "c.yaml"), dry_run=True)
    assert "rule:coffee-introduce" not in items_of(report), "later versions of the pack leave it alone, as said"


def test_taking_the_packs_side_of_a_dropped_rule_turns_it_off_and_stops_who_waits_in_it_as_said():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    Rule.objects.filter(rule_id="coffee-introduce").update(title="Our machines")
    waiting = waiting_in("coffee-introduce", count=1)
    item = items_of(upgrade_pack(load_pack(without_introduce(), "c.yaml"), dry_run=True))["rule:coffee-introduce"]
    assert item.options["pack"].endswith("the 1 customer waiting in it gets nothing more from it")
    report = upgrade_pack(load_pack(without_introduce(), "c.yaml"), choices={"rule:coffee-introduce": "pack"})
    assert "Take the pack's: turned off and kept for its history" in str(report)
    rule = Rule.objects.get(rule_id="coffee-introduce")
    assert not rule.enabled and Rule.objects.filter(pk=rule.pk).exists(), "turned off and kept for its history"
    assert "was turned off" in failed_guard(ScheduledAction.objects.get(pk=waiting[0].pk)), \
        "who waited in it gets nothing more"


def test_a_dropped_rule_the_shop_did_not_edit_says_it_is_turned_off_with_who_waits_in_it():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    waiting_in("coffee-introduce", count=3)
    item = items_of(upgrade_pack(load_pack(without_introduce(), "c.yaml"), dry_run=True))["rule:coffee-introduce"]
    assert item.kind == "take" and not item.options
    assert "turned off and kept for its history; the 3 customers waiting in it get nothing more" in item.note


def with_values(version="1.0.0", category="absorbent", periods=None):
    document = yaml.safe_load(coffee(version))
    document["parameters"]["pads_category"] = {"type": "category", "default": category,
                                               "title": "Category of absorbent products"}
    document["parameters"]["pad_periods"] = {"type": "map", "keys": "product", "values": "duration",
                                             "default": periods or {}, "title": "Products that last longer"}
    document["rules"][0]["trigger"] = {"event": "order_placed", "category": "$pads_category"}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.fixture
def store_has(settings):
    def have(*rows):
        cache.set(CACHE_KEY, {"rows": [list(row) for row in rows], "problem": False}, 600)
    yield have
    cache.delete(CACHE_KEY)


@pytest.mark.parametrize("language", ["en", "he"])
def test_values_are_said_in_words_categories_by_store_name_and_a_map_one_item_per_entry(store_has, language):
    store_has(("absorbent", "Absorbent products", ""), ("night-pants-l", "Night pants", ""))
    import_pack(load_pack(with_values(), "c.yaml"))
    installed = RulePack.objects.get(pack_id="coffee")
    installed.parameter_values = {"pad_periods": {"night-pants-l": "60d", "pads-xl": "45d"}}
    installed.save()
    with translation.override(language):
        report = upgrade_pack(load_pack(with_values("1.1.0", category="incontinence"), "c.yaml"), dry_run=True)
    items = items_of(report)
    category = items["value:pads_category"]
    assert category.kind == "take"
    assert category.yours.strip(FIRST_STRONG_ISOLATE + POP_DIRECTIONAL_ISOLATE) == "Absorbent products"
    assert "incontinence" in category.note, "the pack's new category is not in the store: said so"
    entries = [items["value:pad_periods:night-pants-l"], items["value:pad_periods:pads-xl"]]
    assert [entry.yours for entry in entries] == (
        ["night-pants-l: 60 days", "pads-xl: 45 days"] if language == "en" else [entry.yours for entry in entries])
    assert len({(entry.label, entry.yours, entry.packs) for entry in entries}) == 2, "never two items alike"
    assert all("60 days" in e.yours or "45 days" in e.yours or "ימים" in e.yours for e in entries)
    for item in report.items:
        for words in (item.yours, item.packs, item.note, item.sentence()):
            assert not RAW.search(words), f"{item.id}: {words!r}"


def test_a_category_the_store_has_is_said_by_its_name_with_no_warning(store_has):
    store_has(("absorbent", "Absorbent products", ""), ("incontinence", "Incontinence care", "Health"))
    import_pack(load_pack(with_values(), "c.yaml"))
    item = items_of(upgrade_pack(load_pack(with_values("1.1.0", category="incontinence"), "c.yaml"),
                                 dry_run=True))["value:pads_category"]
    assert (item.yours, item.packs, item.note) == ("Absorbent products", "Health › Incontinence care", "")


def test_a_rule_saved_as_a_draft_is_said_to_be_outside_the_upgrade():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    rule = Rule.objects.get(rule_id="coffee-welcome")
    rule.title = "Welcome, drafted"
    rule.save_revision()
    rule.refresh_from_db()
    assert rule.has_unpublished_changes
    report = upgrade_pack(load_pack(coffee(welcome_holdout=20), "c.yaml"), dry_run=True)
    notice = items_of(report)["draft:coffee-welcome"]
    assert notice.kind == "notice" and notice.applied == "shop"
    assert notice.note == ("You have an unpublished draft of “Welcome”: the upgrade works on the published version; "
                           "publishing the draft later would replace what the upgrade sets.")
    assert "draft:coffee-welcome" not in {item.id for item in report.plan.conflicts}
    assert "draft:coffee-introduce" not in items_of(report), "only rules with a draft"


def test_english_names_inside_hebrew_items_are_isolated():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    MessageTemplate.objects.filter(key="machine-tips", locale="").update(
        subject="Running low on pads, {{ customer.first_name }}?", body="Descale it every week.")
    Rule.objects.filter(rule_id="coffee-introduce").update(title="How-to video, 1–2 days after purchase")
    newer = without_introduce()
    with translation.override("he"):
        report = upgrade_pack(load_pack(newer.replace("Descale it every month.", "Descale it daily."), "c.yaml"),
                              dry_run=True)
        items = items_of(report)
        subject = "Running low on pads, {first name}?"
        message = [item for item in report.items if item.section == "messages"]
        assert message and all(f"{FIRST_STRONG_ISOLATE}{subject}{POP_DIRECTIONAL_ISOLATE}" in item.group
                               for item in message if "machine-tips" in item.id)
        rule = items["rule:coffee-introduce"]
        assert f"{FIRST_STRONG_ISOLATE}How-to video, 1–2 days after purchase" in rule.sentence()
