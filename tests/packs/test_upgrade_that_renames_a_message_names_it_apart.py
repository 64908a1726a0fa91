"""Issue 31, item 1 (review): an upgrade that renames a message (a new key with the same subject,
the rule now sending the new one) names the two apart in every line of its preview ("(old)",
"(new)"; "sends “X (new)” instead of “X (old)”"), and when the shop had edited the old message the
upgrade asks — keep sending yours / take the pack's — and applies the answer to the rule and the
message together (keeping yours: the rule keeps sending the old message, which is kept)."""
import pytest
import yaml

from masa.models import MessageTemplate, Rule
from masa.packs import load_pack
from masa.packs.installer import import_pack, upgrade_pack
from masa.packs.merge import plan

from .upgrade_fixtures import COFFEE

pytestmark = pytest.mark.django_db
OLD_ITEM = "message:machine-tips:default"


def renamed():
    document = yaml.safe_load(COFFEE)
    document["version"] = "1.1.0"
    document["templates"]["machine-advice"] = document["templates"].pop("machine-tips")
    document["rules"][0]["steps"][1] = {"send": {"template": "machine-advice"}}
    return load_pack(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "coffee.yaml")


def installed(edited: bool):
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    if edited:
        MessageTemplate.objects.filter(key="machine-tips").update(body="Our own descaling words.")
    from masa.models import RulePack
    return RulePack.objects.get(pack_id="coffee")


def sends():
    return Rule.objects.get(rule_id="coffee-introduce").definition["steps"][1]["send"]["template"]


def test_no_two_messages_read_the_same_and_the_rule_says_which_it_sends_instead():
    lines = [item.sentence() for item in plan(renamed(), installed(edited=False)).items]
    text = "\n".join(lines)
    assert "Message “Tips for your machine (new)”" in text and "Message “Tips for your machine (old)”" in text
    assert "sends “Tips for your machine (new)” instead of “Tips for your machine (old)”" in text
    for line in lines:   # no line names one message twice as if it were two ("from “X” to “X”")
        quoted = [part for part in line.split("“")[1:]]
        assert "from “Tips for your machine” to “Tips for your machine”" not in line, line
        assert len(quoted) < 2 or quoted[0].split("”")[0] != quoted[1].split("”")[0] or "adds" in line, line
    upgrade_pack(renamed())
    assert sends() == "machine-advice"
    assert not MessageTemplate.objects.filter(key="machine-tips").exists()


def test_an_edited_message_the_new_version_replaces_is_a_choice_in_words():
    found = plan(renamed(), installed(edited=True))
    item = next(item for item in found.conflicts if item.id == OLD_ITEM)
    assert item.options["shop"] == ("You edited “Tips for your machine (old)”; the new version sends a new message, "
                                    "“Tips for your machine (new)”, instead: keep sending yours")
    assert item.options["pack"].endswith("take the pack's (your edit is removed)")
    assert "keep sending yours" in item.sentence()
    rule_line = next(i for i in found.items if i.id.startswith("rule:coffee-introduce") and "template" in i.id)
    assert rule_line.kind == "keep" and "follows your choice for the message" in rule_line.sentence()


def test_keeping_yours_keeps_the_rule_sending_your_edited_message():
    installed(edited=True)
    upgrade_pack(renamed())
    assert sends() == "machine-tips"
    assert MessageTemplate.objects.get(key="machine-tips", locale="").body == "Our own descaling words."


def test_taking_the_packs_sends_the_new_message_and_removes_yours():
    installed(edited=True)
    upgrade_pack(renamed(), choices={OLD_ITEM: "pack"})
    assert sends() == "machine-advice"
    assert not MessageTemplate.objects.filter(key="machine-tips").exists()
    assert MessageTemplate.objects.filter(key="machine-advice", locale="").exists()
