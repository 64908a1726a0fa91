"""``masa_pack import --set NAME=VALUE`` reads the value by the parameter's type: a list from a
comma list or JSON, a text as written (commas, digits and all), anything else as JSON."""
import pytest
from django.core.management import CommandError, call_command

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


@pytest.mark.parametrize("text, spec, value", [
    ("NaN", {"type": "number"}, "NaN"),
    ("Infinity", {"type": "number"}, "Infinity"),
    ("-Infinity", None, "-Infinity"),
    ("1e400", {"type": "number"}, "1e400"),
    ('{"pads-60": NaN}', {"type": "map"}, '{"pads-60": NaN}'),
    ("1e3", {"type": "number"}, 1000.0),
    ('"say \\"hi\\", then go"', {"type": "string"}, 'say "hi", then go'),
    ("it's \"quoted\"", {"type": "string"}, "it's \"quoted\""),
])
def test_set_reads_no_number_json_cannot_store_and_keeps_quotes(text, spec, value):
    assert _value(text, spec) == value


@pytest.mark.parametrize("text", ["[NaN]", '["a", "b"', "[a, b]"])
def test_a_list_written_as_broken_json_is_refused_not_split(text):
    with pytest.raises(CommandError, match="is not a JSON list"):
        _value(text, {"type": "list"})


@pytest.mark.django_db
@pytest.mark.parametrize("setting, message", [
    ("offer_percent=NaN", "parameter 'offer_percent' must be of type number, not 'NaN'"),
    ("offer_percent=Infinity", "parameter 'offer_percent' must be of type number, not 'Infinity'"),
    ("offer_percent=1e400", "parameter 'offer_percent' must be of type number, not '1e400'"),
    ("offer_percent", "--set 'offer_percent': write NAME=VALUE"),
    ("=15", "--set '=15': write NAME=VALUE"),
])
def test_import_refuses_a_value_the_database_cannot_store_in_words_and_keeps_nothing(settings, setting, message):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.example.com"}
    with pytest.raises(CommandError, match=message.replace("[", "\\[")):
        call_command("masa_pack", "import", "engagement", "--set", setting)
    assert not RulePack.objects.filter(pack_id="engagement").exists()
