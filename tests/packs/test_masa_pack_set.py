"""``masa_pack import --set NAME=VALUE`` reads the value by the parameter's type: a list from a
comma list or JSON, a text as written (commas, digits and all), anything else as JSON."""
import pytest
from django.core.management import call_command

from masa.management.commands.masa_pack import _value
from masa.models import RulePack


@pytest.mark.parametrize("text, spec, value", [
    ("walkers,wheelchairs", {"type": "list"}, ["walkers", "wheelchairs"]),
    ('"walkers, wheelchairs"', {"type": "list"}, ["walkers", "wheelchairs"]),
    ('["a, b", "c"]', {"type": "list"}, ["a, b", "c"]),
    ("3", {"type": "list"}, ["3"]),
    ("Tel Aviv, Jaffa", {"type": "string"}, "Tel Aviv, Jaffa"),
    ("2026", {"type": "string"}, "2026"),
    ("true", {}, "true"),
    ('"quoted, once"', {"type": "string"}, "quoted, once"),
    ("kettles,grinders", {"type": "category"}, "kettles,grinders"),
    ("5", {"type": "integer"}, 5),
    ("true", {"type": "boolean"}, True),
    ("60d", {"type": "duration"}, "60d"),
    ('{"pads-60": "60d"}', {"type": "map"}, {"pads-60": "60d"}),
    ("7", None, 7),
])
def test_set_reads_a_value_by_its_parameters_type(text, spec, value):
    assert _value(text, spec) == value


@pytest.mark.django_db
def test_import_takes_a_comma_list_for_a_list_and_keeps_a_text_with_commas_whole(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.example.com"}
    call_command("masa_pack", "import", "ecommerce-starter", "--set", "technical_categories=grinders, kettles",
                 "--set", "onboarding_time=10:30")
    call_command("masa_pack", "import", "engagement", "--set", "local_city=Tel Aviv, Jaffa",
                 "--set", "saleor_channel=2026")
    starter = RulePack.objects.get(pack_id="ecommerce-starter").resolved_parameters()
    engagement = RulePack.objects.get(pack_id="engagement").resolved_parameters()
    assert starter["technical_categories"] == ["grinders", "kettles"] and starter["onboarding_time"] == "10:30"
    assert engagement["local_city"] == "Tel Aviv, Jaffa" and engagement["saleor_channel"] == "2026"
