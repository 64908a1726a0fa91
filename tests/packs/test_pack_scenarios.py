"""Every shipped pack validates, imports, and passes its own scenarios (packs/*/scenarios.yaml),
played by ``masa.packs.scenarios`` — the runner ``masa_pack test`` uses — on the live path."""
from pathlib import Path

import pytest
import yaml

from masa.models import Delivery, RulePack
from masa.packs import load_pack_file
from masa.packs.scenarios import START, check, moment, play

PACKS = Path(__file__).resolve().parents[2] / "packs"


def scenario_files():
    return {p.name: yaml.safe_load((p / "scenarios.yaml").read_text()) for p in sorted(PACKS.iterdir())
            if (p / "pack.yaml").exists()}


def scenarios():
    return [pytest.param(name, document, scenario, id=f"{name}: {scenario['name']}")
            for name, document in scenario_files().items() for scenario in document["scenarios"]]


def test_every_pack_ships_scenarios():
    pack_dirs = [p for p in PACKS.iterdir() if (p / "pack.yaml").exists()]
    assert {p.name for p in pack_dirs} >= {"senior-care", "ecommerce-starter", "engagement"}
    for pack_dir in pack_dirs:
        assert (pack_dir / "scenarios.yaml").exists(), pack_dir


@pytest.mark.django_db
@pytest.mark.parametrize("name, document, scenario", scenarios())
def test_pack_scenario(name, document, scenario):
    pack = load_pack_file(PACKS / name / "pack.yaml")
    shop = {**(document.get("settings") or {}), **(scenario.get("settings") or {})}
    start = moment(document.get("start", START), START)

    outcome = play(pack, scenario, start, shop)

    assert check(scenario["expect"], outcome) == []
    assert not RulePack.objects.exists() and not Delivery.objects.exists(), "a scenario leaves nothing behind"


@pytest.mark.django_db
def test_masa_pack_test_plays_a_shipped_packs_scenarios_and_keeps_nothing(capsys):
    from django.core.management import call_command

    call_command("masa_pack", "test", "ecommerce-starter", "-k", "VIP")
    out = capsys.readouterr().out
    assert "ok    the fifth order in a year makes a VIP" in out and "1 of 1 scenarios pass" in out
    assert not RulePack.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_masa_pack_test_fails_and_says_where_a_scenario_differs(tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    (tmp_path / "scenarios.yaml").write_text(yaml.safe_dump({"scenarios": [{
        "name": "a thank-you the pack does not send",
        "events": [{"at": "2026-01-05T09:00:00Z", "order": [{"category": "coffee-beans"}]}],
        "until": "1d", "expect": {"sent": [{"template": "thank-you", "at": "1h"}]}}]}))
    with pytest.raises(CommandError, match="0 of 1 scenarios pass"):
        call_command("masa_pack", "test", str(PACKS / "ecommerce-starter" / "pack.yaml"),
                     "--scenarios", str(tmp_path / "scenarios.yaml"))
    assert "sent: 0 messages, expected 1" in capsys.readouterr().out


def test_an_order_follow_up_numbered_1_acts_on_the_first_order_and_true_on_the_latest():
    from masa.packs.scenarios import ScenarioError, _order

    first, second = {"number": "1"}, {"number": "2"}
    assert _order([first, second], 1) is first, "1 == True in Python: it must still mean the first order"
    assert _order([first, second], 2) is second
    assert _order([first, second], True) is second and _order([first, second], "last") is second
    with pytest.raises(ScenarioError):
        _order([first, second], False)
