"""Issue 31, item 7: a ``map`` parameter (product → value) makes per-product refill periods the
shop's values: declared in the pack, checked by type, edited as rows on the pack's values page."""
from datetime import timedelta

import pytest
from django.urls import reverse

from masa.models import RulePack, ScheduledAction
from masa.packs import PackError, load_pack
from masa.packs.installer import import_pack
from masa.rules.parameters import ParameterError, check_value

from ..helpers import editor, order_payload, post_signed

PACK = """
masa_pack: 1
id: refills
version: 1.0.0
title: Refills
parameters:
  refill_periods: {type: map, keys: product, values: duration, default: {product-absorbent-0: 60d},
                   title: "How long one of each product lasts"}
templates:
  refill: {subject: Refill, body: "Time to reorder"}
rules:
  - id: refill
    trigger: {event: category_bought, category: absorbent}
    steps:
      - wait: {refill: {period: 30d, periods: $refill_periods, per_quantity: false, own_rhythm: false}}
      - send: {template: refill, class: transactional}
"""
SPEC = {"type": "map", "keys": "product", "values": "duration"}


@pytest.mark.parametrize("value", [{"pads": "60d", "cream": "2w"}, {}, {"pads": 3600}])
def test_a_map_of_durations_is_a_map_value(value):
    assert check_value("p", SPEC, value) == value


@pytest.mark.parametrize("value", [["pads", "60d"], "pads: 60d", {"pads": "soon"}, {"": "60d"},
                                   {f"p{n}": "1d" for n in range(201)}])
def test_anything_else_is_refused_naming_the_parameter(value):
    with pytest.raises(ParameterError, match="'p"):
        check_value("p", SPEC, value)


def test_a_numbers_map_checks_each_value_against_the_minimum():
    spec = {"type": "map", "keys": "category", "values": "integer", "minimum": 1}
    assert check_value("p", spec, {"vitamins": 2}) == {"vitamins": 2}
    with pytest.raises(ParameterError, match="at least 1"):
        check_value("p", spec, {"vitamins": 0})


def test_a_bad_default_fails_validation():
    with pytest.raises(PackError, match="refill_periods.default"):
        load_pack(PACK.replace("{product-absorbent-0: 60d}", "{product-absorbent-0: soon}"))


@pytest.mark.django_db
@pytest.mark.parametrize("values, days", [(None, 60), ({"refill_periods": {"product-absorbent-0": "10d"}}, 10),
                                          ({"refill_periods": {}}, 30)])
def test_the_shops_period_per_product_times_the_refill(client, signing_store, values, days):
    import_pack(load_pack(PACK), values)
    payload = order_payload()
    post_signed(client, signing_store, "order_created", payload)
    action = ScheduledAction.objects.get(rule__rule_id="refill")
    ordered = action.event.occurred_at
    assert abs(action.due_at - (ordered + timedelta(days=days))) < timedelta(minutes=1)


@pytest.mark.django_db
def test_the_values_page_edits_a_map_as_rows(client):
    import_pack(load_pack(PACK))
    client.force_login(editor())
    url = reverse("masa_pack_parameters", kwargs={"pack_id": "refills"})
    page = client.get(url).content.decode()
    assert "product-absorbent-0: 60 days" in page and "One product per line" in page
    client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30: 30d\r\n\r\n cream : 2w "})
    assert RulePack.objects.get().parameter_values["refill_periods"] == {"pads-30": "30d", "cream": "2w"}
    answer = client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30 30d"}).content.decode()
    assert "Line 1: write the name, a colon, then the value." in answer
    answer = client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30: soon"}).content.decode()
    assert "soon" in answer and RulePack.objects.get().parameter_values["refill_periods"] == {"pads-30": "30d", "cream": "2w"}


@pytest.mark.parametrize("value", [{1: "1d", "1": "2d"}, {" pads ": "1d", "pads": "2d"}, {"pads": "1d", "pads ": "1d"}])
def test_two_keys_that_name_one_product_are_refused_not_collapsed(value):
    with pytest.raises(ParameterError, match="there twice"):
        check_value("p", SPEC, value)


@pytest.mark.parametrize("key", ["x" * 101, "<b>", "pads 60", "a\nb", 1.5, None, True, "-pads", "pads\u202e"])
def test_a_key_that_is_not_a_store_id_is_refused(key):
    with pytest.raises(ParameterError, match="is not a product id"):
        check_value("p", SPEC, {key: "1d"})


@pytest.mark.parametrize("key", ["pads-60", "UHJvZHVjdDo3Mg==", "קפה-טחון", "x" * 100, 42])
def test_a_slug_or_a_store_id_is_a_key(key):
    assert check_value("p", SPEC, {key: "1d"}) == {str(key): "1d"}


@pytest.mark.parametrize("value", [{f"p{n}": "1d" for n in range(10000)}, {"x" * 100000: "1d"},
                                   {"pads": "y" * 100000}, "z" * 100000, ["pads"] * 50000])
def test_an_error_never_echoes_the_whole_value(value):
    with pytest.raises(ParameterError) as refused:
        check_value("p", SPEC, value)
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize("spec", [{"type": "string"}, {"type": "integer"}, {"type": "duration"},
                                  {"type": "string", "choices": ["a", "b"]}, {"type": "integer", "minimum": 10 ** 6000}])
def test_other_types_do_not_echo_the_whole_value_either(spec):
    with pytest.raises(ParameterError) as refused:
        check_value("p", spec, ["q" * 100000] if spec["type"] != "string" or "choices" in spec else 5)
    assert len(str(refused.value)) < 300


def test_a_pack_with_ten_thousand_entries_is_refused_in_a_line():
    big = "{" + ", ".join(f"p{n}: 1d" for n in range(10000)) + "}"
    with pytest.raises(PackError) as refused:
        load_pack(PACK.replace("{product-absorbent-0: 60d}", big))
    assert max(len(problem) for problem in refused.value.problems) < 300


@pytest.mark.django_db
def test_the_values_page_refuses_a_product_on_two_lines(client):
    import_pack(load_pack(PACK))
    client.force_login(editor())
    url = reverse("masa_pack_parameters", kwargs={"pack_id": "refills"})
    answer = client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30: 30d\r\n pads-30 : 60d"}).content.decode()
    assert "Line 2:" in answer and "is already on an earlier line" in answer
    assert RulePack.objects.get().parameter_values.get("refill_periods") in (None, {"product-absorbent-0": "60d"})


@pytest.mark.parametrize("spec, value", [
    ({"type": "number"}, float("nan")),
    ({"type": "number"}, float("inf")),
    ({"type": "list"}, ["walkers", float("-inf")]),
    ({"type": "map", "keys": "product", "values": "number"}, {"pads-60": float("nan")}),
])
def test_a_pack_value_the_database_cannot_store_is_refused_in_words(spec, value):
    """YAML's .nan and .inf are numbers to Python but not to JSON (nor to the database)."""
    with pytest.raises(ParameterError, match="must be"):
        check_value("dose", spec, value)
