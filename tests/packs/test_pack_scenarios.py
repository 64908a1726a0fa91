"""Every shipped pack validates, imports, and passes its own scenarios (packs/*/scenarios.yaml)."""
from pathlib import Path

import pytest
import yaml

from masa.models import RulePack
from masa.packs import load_pack_file
from masa.packs.installer import import_pack

from ..saleor_fake import VOUCHER_ANSWERS
from ..scenario_runner import check_expectations, run_scenario

PACKS = Path(__file__).resolve().parents[2] / "packs"


def scenarios():
    params = []
    for pack_dir in sorted(p for p in PACKS.iterdir() if (p / "pack.yaml").exists()):
        for scenario in yaml.safe_load((pack_dir / "scenarios.yaml").read_text())["scenarios"]:
            params.append(pytest.param(pack_dir, scenario, id=f"{pack_dir.name}: {scenario['name']}"))
    return params


def test_every_pack_ships_scenarios():
    pack_dirs = [p for p in PACKS.iterdir() if (p / "pack.yaml").exists()]
    assert {p.name for p in pack_dirs} >= {"senior-care", "ecommerce-starter", "engagement"}
    for pack_dir in pack_dirs:
        assert (pack_dir / "scenarios.yaml").exists(), pack_dir


@pytest.mark.django_db
@pytest.mark.parametrize("pack_dir, scenario", scenarios())
def test_pack_scenario(pack_dir, scenario, settings, saleor_app, provider):
    settings.TIME_ZONE = "UTC"
    settings.MASA = {**settings.MASA, "STAFF_EMAILS": ["staff@shop.example"]}
    saleor_app(**VOUCHER_ANSWERS)
    pack = load_pack_file(pack_dir / "pack.yaml")
    import_pack(pack, scenario.get("parameters", {}))
    assert RulePack.objects.get().version == pack.version

    outcome = run_scenario(scenario)

    assert check_expectations(scenario["expect"], outcome) == []
