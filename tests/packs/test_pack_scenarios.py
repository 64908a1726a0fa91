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
def test_pack_scenario(name, document, scenario, settings):
    settings.TIME_ZONE = "UTC"
    settings.MASA = {**settings.MASA, "STAFF_EMAILS": ["staff@shop.example"]}
    pack = load_pack_file(PACKS / name / "pack.yaml")
    shop = {**(document.get("settings") or {}), **(scenario.get("settings") or {})}
    start = moment(document.get("start", START), START)

    outcome = play(pack, scenario, start, shop)

    assert check(scenario["expect"], outcome) == []
    assert not RulePack.objects.exists() and not Delivery.objects.exists(), "a scenario leaves nothing behind"
