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
    assert "product-absorbent-0: 60d" in page and "One product per line" in page
    client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30: 30d\r\n\r\n cream : 2w "})
    assert RulePack.objects.get().parameter_values["refill_periods"] == {"pads-30": "30d", "cream": "2w"}
    answer = client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30 30d"}).content.decode()
    assert "Line 1: write the name, a colon, then the value." in answer
    answer = client.post(url, {"holdout_percent": "0", "refill_periods": "pads-30: soon"}).content.decode()
    assert "soon" in answer and RulePack.objects.get().parameter_values["refill_periods"] == {"pads-30": "30d", "cream": "2w"}
