"""Issue 31, item 7: importing a pack warns — never refuses — when the categories it names are not
in the connected store (or the store could not be asked), and when another installed pack already
sets the same facts; on the admin's import preview and in ``masa_pack import``."""
from io import StringIO

import httpx
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from masa.models import RulePack
from masa.packs import load_pack
from masa.packs.import_warnings import import_warnings, pack_categories
from masa.packs.installer import import_pack
from masa.saleor import client as saleor_client
from masa.saleor.categories import CACHE_KEY

from ..helpers import editor
from ..saleor_fake import FakeSaleor

pytestmark = pytest.mark.django_db

TIERS = """
masa_pack: 1
id: tiers
version: 1.0.0
title: Loyalty tiers
rules:
  - id: tiers-gold
    trigger: {event: order_placed}
    steps: [{set: {fact: tier, value: gold}}, {stamp: gold_at}]
"""
COFFEE = """
masa_pack: 1
id: coffee
version: 1.0.0
title: Coffee shop
parameters:
  beans: {type: category, default: coffee-beans}
  machines: {type: list, default: [espresso-machines]}
segments:
  grinders: [{bought: {category: grinders}}]
rules:
  - id: coffee-tier
    trigger: {event: category_bought, category: $beans}
    conditions: [{segment: grinders}]
    steps: [{set: {fact: tier, value: regular}}, {increment: {fact: score}}]
  - id: coffee-onboarding
    trigger: {event: product_bought, category: $machines}
    steps: [{tag: machine-owner}]
"""
CATEGORIES = {"categories": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [
    {"node": {"id": "Q2F0ZWdvcnk6MQ==", "name": "Coffee beans", "slug": "coffee-beans", "parent": None}},
]}}


@pytest.fixture
def store(settings, monkeypatch):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [{"domain": "shop.example.com", "app_token": "app-token",
                                                         "api_url": "https://shop.example.com/graphql/"}]}
    cache.delete(CACHE_KEY)

    def answers(*answer):
        monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", FakeSaleor(Categories=list(answer)).transport())
    yield answers
    cache.delete(CACHE_KEY)


def test_the_categories_of_a_pack_are_those_its_rules_and_segments_name_with_its_values():
    assert pack_categories(load_pack(COFFEE)) == ["coffee-beans", "espresso-machines", "grinders"]


def test_categories_the_store_lacks_are_named(store):
    store(CATEGORIES)
    warnings = import_warnings(load_pack(COFFEE))
    assert len(warnings) == 1 and "has no categories" in warnings[0]
    assert "espresso-machines" in warnings[0] and "grinders" in warnings[0] and "coffee-beans" not in warnings[0]


def test_a_store_that_does_not_answer_is_said_not_checked(store):
    store(httpx.Response(503, json={}), httpx.Response(503, json={}))
    assert "could not be reached just now" in import_warnings(load_pack(COFFEE))[0]


def test_without_a_store_the_categories_are_said_not_checked(monkeypatch):
    cache.delete(CACHE_KEY)
    monkeypatch.setattr("masa.saleor.categories.credentials", lambda: None)
    assert "No store is connected" in import_warnings(load_pack(COFFEE))[0]


def test_another_installed_pack_setting_the_same_fact_is_named_and_the_import_goes_on(store, client):
    store(CATEGORIES)
    import_pack(load_pack(TIERS))
    warnings = import_warnings(load_pack(COFFEE))
    assert any("Loyalty tiers" in w and "tier" in w and "score" not in w for w in warnings), warnings
    client.force_login(editor())
    page = client.post(reverse("masa_pack_import"), {"source": COFFEE}).content.decode()
    assert "Worth knowing before you import" in page and "overwrite each other" in page and "grinders" in page
    client.post(reverse("masa_pack_import"), {"source": COFFEE, "confirm": "1"})
    assert RulePack.objects.filter(pack_id="coffee").exists(), "a warning never refuses"


def test_a_pack_with_nothing_to_warn_about_shows_no_warning(store, client):
    store(CATEGORIES)
    client.force_login(editor())
    page = client.post(reverse("masa_pack_import"), {"source": TIERS}).content.decode()
    assert "Preview" in page and "Worth knowing" not in page


def test_masa_pack_import_prints_the_warnings(store, tmp_path):
    store(CATEGORIES)
    import_pack(load_pack(TIERS))
    path = tmp_path / "pack.yaml"
    path.write_text(COFFEE)
    out = StringIO()
    call_command("masa_pack", "import", str(path), stdout=out)
    printed = out.getvalue()
    assert "warning: The installed pack Loyalty tiers also sets “tier” for each customer" in printed
    assert "warning: The store has no categories espresso-machines, grinders" in printed
    assert RulePack.objects.filter(pack_id="coffee").exists()


def test_a_hostile_category_name_in_a_warning_is_text_on_the_page(store, client):
    store(CATEGORIES)
    client.force_login(editor())
    hostile = COFFEE.replace("default: coffee-beans", 'default: "<img src=x onerror=alert(1)>"')
    page = client.post(reverse("masa_pack_import"), {"source": hostile}).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
