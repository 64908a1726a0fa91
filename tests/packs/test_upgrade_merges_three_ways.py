"""A pack upgrade is a three-way merge of the version installed, the shop's state and the new
version (issue 31): what only the pack changed is taken, what only the shop changed is kept, and
where both changed the shop chooses — the shop's stays without a choice; each item is said in
words, a message with a text diff; ``masa_pack upgrade`` prints the same items and takes choices."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masa.models import MessageTemplate, Rule, RulePack
from masa.packs import PackError, load_pack
from masa.packs.installer import export_pack, import_pack, upgrade_pack

from .upgrade_fixtures import COFFEE, coffee

pytestmark = pytest.mark.django_db

WELCOME = "Hi {{ customer.first_name }}, thank you for your first order. Enjoy the beans."


@pytest.fixture
def installed_and_edited():
    """The shop installed 1.0.0, then changed the introduce delay to 10 days and the welcome text."""
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    rule = Rule.objects.get(rule_id="coffee-introduce")
    rule.definition = {**rule.definition, "steps": [{"wait": "10d"}, rule.definition["steps"][1]]}
    rule.save()
    MessageTemplate.objects.filter(key="welcome", locale="").update(body=WELCOME.replace("Enjoy", "Love"))
    return rule


def items_of(report):
    return {item.id: item for item in report.items}


def test_both_changed_is_a_conflict_said_in_words_and_the_shops_stays_without_a_choice(installed_and_edited):
    newer = coffee(introduce_after="14d", welcome_body=WELCOME.replace("thank you", "thanks"),
                   tips_body="Descale it every two months.")
    report = upgrade_pack(load_pack(newer, "coffee-1.1.0.yaml"))
    items = items_of(report)
    delay = items["rule:coffee-introduce:steps[0].wait"]
    assert delay.kind == "conflict" and (delay.yours, delay.packs) == ("10 days", "2 weeks")
    assert "Introduce the machines — Step 1: wait: yours 10 days, the pack's 2 weeks — you keep yours" in str(report)
    text = items["message:welcome:default:body"]
    assert text.kind == "conflict" and text.applied == "shop"
    mine, packs = text.diff
    assert (True, "Love") in mine and (True, "thank you") in mine, "what the pack's lacks is marked on the shop's side"
    assert (True, "thanks") in packs and (True, "Enjoy") in packs, "what the pack adds is marked on its side"
    assert "{first name}" in "".join(part for _marked, part in mine), "merge tags are said, not shown as code"
    assert items["message:machine-tips:default:body"].kind == "take"
    assert Rule.objects.get(rule_id="coffee-introduce").definition["steps"][0] == {"wait": "10d"}
    assert MessageTemplate.objects.get(key="welcome", locale="").body == WELCOME.replace("Enjoy", "Love")
    assert MessageTemplate.objects.get(key="machine-tips", locale="").body == "Descale it every two months."


def test_what_only_the_shop_changed_is_kept_and_what_only_the_pack_changed_is_taken(installed_and_edited):
    report = upgrade_pack(load_pack(coffee(tips_body="Descale it every two months.", lead="4d"), "c.yaml"))
    items = items_of(report)
    assert items["message:welcome:default:body"].kind == "keep", "a message the shop edited is not overwritten"
    assert MessageTemplate.objects.get(key="welcome", locale="").body == WELCOME.replace("Enjoy", "Love")
    assert items["rule:coffee-introduce:steps[0].wait"].kind == "keep"
    assert items["value:refill_lead"].kind == "take" and RulePack.objects.get().resolved_parameters()["refill_lead"] == "4d"
    assert "Remind before they run out: the pack changes it from 3 days to 4 days" in str(report)
    assert "message:welcome:he:body" not in items, "an unchanged language is no item"


def test_choosing_the_packs_version_applies_it_and_the_rule_is_no_longer_locally_edited(installed_and_edited):
    newer = load_pack(coffee(introduce_after="14d", welcome_body="Welcome, {{ customer.first_name }}!"), "c.yaml")
    upgrade_pack(newer, choices={"rule:coffee-introduce:steps[0].wait": "pack",
                                 "message:welcome:default:body": "pack"})
    rule = Rule.objects.get(rule_id="coffee-introduce")
    assert rule.definition["steps"][0] == {"wait": "14d"} and not rule.locally_edited
    assert rule.pack_definition == rule.definition
    assert MessageTemplate.objects.get(key="welcome", locale="").body == "Welcome, {{ customer.first_name }}!"


def test_both_changing_the_same_way_is_no_item(installed_and_edited):
    report = upgrade_pack(load_pack(coffee(introduce_after="10d"), "c.yaml"))
    assert "rule:coffee-introduce:steps[0].wait" not in items_of(report)
    assert not Rule.objects.get(rule_id="coffee-introduce").locally_edited, "the shop's edit is now the pack's"


def test_a_choice_for_no_conflict_or_a_bad_choice_is_refused_and_nothing_is_written(installed_and_edited):
    newer = load_pack(coffee(introduce_after="14d"), "c.yaml")
    with pytest.raises(PackError, match="'rule:coffee-welcome:title' is not a conflict of this upgrade"):
        upgrade_pack(newer, choices={"rule:coffee-welcome:title": "pack"})
    with pytest.raises(PackError, match="each choice is 'shop' or 'pack'"):
        upgrade_pack(newer, choices={"rule:coffee-introduce:steps[0].wait": "both"})
    assert RulePack.objects.get().version == "1.0.0"


def test_a_removed_message_the_shop_edited_is_a_choice_and_an_untouched_one_goes():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    MessageTemplate.objects.filter(key="welcome", locale="he").update(body="שלום, תודה רבה!")
    newer = coffee(drop_hebrew=True)
    report = upgrade_pack(load_pack(newer, "c.yaml"), dry_run=True)
    item = items_of(report)["message:welcome:he"]
    assert (item.kind, item.change, item.label) == ("conflict", "removed", "Hebrew")
    upgrade_pack(load_pack(newer, "c.yaml"), choices={"message:welcome:he": "pack"})
    assert not MessageTemplate.objects.filter(key="welcome", locale="he").exists()


def test_a_rule_holdout_is_imported_exported_round_trip_and_merged_three_ways():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    assert Rule.objects.get(rule_id="coffee-welcome").holdout_percent == 10
    exported = export_pack("coffee")
    assert load_pack(exported, "exported.yaml").document["rules"][1]["holdout"] == 10
    Rule.objects.all().delete()
    MessageTemplate.objects.all().delete()
    RulePack.objects.all().delete()
    import_pack(load_pack(exported, "exported.yaml"))
    assert Rule.objects.get(rule_id="coffee-welcome").holdout_percent == 10, "the round trip keeps it"
    Rule.objects.filter(rule_id="coffee-welcome").update(holdout_percent=20)
    report = upgrade_pack(load_pack(coffee(welcome_holdout=5), "c.yaml"))
    item = items_of(report)["rule:coffee-welcome:holdout"]
    assert item.kind == "conflict" and (item.yours, item.packs) == ("20 %", "5 %")
    assert Rule.objects.get(rule_id="coffee-welcome").holdout_percent == 20
    upgrade_pack(load_pack(coffee("1.2.0", welcome_holdout=5), "c.yaml"))
    assert Rule.objects.get(rule_id="coffee-welcome").holdout_percent == 20, "kept: only the shop changed it since"


def test_a_rule_holdout_above_half_is_refused():
    with pytest.raises(PackError, match="holdout"):
        load_pack(COFFEE.replace("holdout: 10", "holdout: 60"), "coffee.yaml")


def test_the_command_prints_the_items_and_the_conflicts_ids_and_takes_choices(installed_and_edited, tmp_path):
    newer = tmp_path / "pack.yaml"
    newer.write_text(coffee(introduce_after="14d", welcome_body="Welcome, {{ customer.first_name }}!"))
    out = io.StringIO()
    call_command("masa_pack", "upgrade", str(newer), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Introduce the machines — Step 1: wait: yours 10 days, the pack's 2 weeks — you keep yours" in text
    assert "Message “Welcome to our coffee” — Text: yours" in text
    assert "  rule:coffee-introduce:steps[0].wait: yours (no choice given: the shop's stays)" in text
    assert "(preview: nothing was written)" in text and RulePack.objects.get().version == "1.0.0"
    with pytest.raises(CommandError, match="is not a conflict of this upgrade"):
        call_command("masa_pack", "upgrade", str(newer), "--take-pack", "rule:nothing", stdout=io.StringIO())
    choices = tmp_path / "choices.yaml"
    choices.write_text("message:welcome:default:body: pack\n")
    out = io.StringIO()
    call_command("masa_pack", "upgrade", str(newer), "--take-pack", "rule:coffee-introduce:steps[0].wait",
                 "--choices", str(choices), stdout=out)
    assert "  rule:coffee-introduce:steps[0].wait: the pack's" in out.getvalue()
    assert Rule.objects.get(rule_id="coffee-introduce").definition["steps"][0] == {"wait": "14d"}
    assert MessageTemplate.objects.get(key="welcome", locale="").body == "Welcome, {{ customer.first_name }}!"


def test_a_rule_the_pack_removes_stays_on_when_the_shop_edited_it_unless_the_shop_takes_the_packs():
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    Rule.objects.filter(rule_id="coffee-introduce").update(title="Our machines")
    document = coffee()
    newer = document[:document.index("- id: coffee-introduce")] + document[document.index("- id: coffee-welcome"):]
    report = upgrade_pack(load_pack(newer, "c.yaml"), dry_run=True)
    item = items_of(report)["rule:coffee-introduce"]
    assert (item.kind, item.change, item.group) == ("conflict", "removed", "Our machines")
    upgrade_pack(load_pack(newer, "c.yaml"))
    assert Rule.objects.get(rule_id="coffee-introduce").enabled, "kept on: the shop had made it its own"
    report = upgrade_pack(load_pack(newer.replace("version: 1.1.0", "version: 1.2.0"), "c.yaml"))
    assert "rule:coffee-introduce" not in items_of(report), "kept through an upgrade, it is the shop's rule now"
    assert Rule.objects.get(rule_id="coffee-introduce").enabled

    RulePack.objects.all().delete()
    Rule.objects.all().delete()
    MessageTemplate.objects.all().delete()
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    Rule.objects.filter(rule_id="coffee-introduce").update(title="Our machines")
    upgrade_pack(load_pack(newer, "c.yaml"), choices={"rule:coffee-introduce": "pack"})
    assert not Rule.objects.get(rule_id="coffee-introduce").enabled, "taking the pack's turns it off"
