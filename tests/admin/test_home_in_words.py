"""The home panel in words: which store is connected and when it last sent something (or where
to connect one), each journey live or off with this month's messages, orders and revenue
(bookkeeping rules left out), and the *Needs attention* count linking to its page."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.admin.attention import attention
from masa.models import Customer, InboundDelivery, Rule, SaleorApp, ScheduledAction, StoreEvent

from ..helpers import viewer
from .test_results_in_words import TIER, sent

pytestmark = pytest.mark.django_db


def panel(client) -> str:
    client.force_login(viewer())
    home = client.get("/admin/").content.decode()
    start = home.index("masa-dashboard")
    return home[start:home.index("</section>", start)]


def test_without_a_store_the_panel_says_where_to_connect_one(client, settings):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": []}
    shown = panel(client)
    assert "No store connected: nothing reaches Masa yet." in shown
    assert f'<a href="{reverse("masa_saleor_stores")}">Connect your Saleor store</a>' in shown
    assert "No Saleor store is connected." not in shown, "said once, in the panel's own words"


def test_a_connected_store_is_named_with_its_last_delivery(client, settings):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": []}
    SaleorApp.objects.create(domain="shop.example", api_url="https://shop.example/graphql/",
                             installed_at=timezone.now() - timedelta(days=3))
    InboundDelivery.objects.create(status="accepted", domain="shop.example", event_type="ORDER_CREATED",
                                   received_at=timezone.now() - timedelta(minutes=5))
    InboundDelivery.objects.create(status="rejected", domain="shop.example", received_at=timezone.now())
    shown = panel(client)
    assert "Store connected: <bdi>shop.example</bdi>, installed" in shown
    assert "Last delivery received 5\xa0minutes ago." in shown, "a refused request is not a delivery"


def test_each_journey_is_live_or_off_with_this_months_figures(client, refill_rule):
    customer = Customer.objects.create(email="ruth@example.com")
    sent(refill_rule, customer, timezone.now() - timedelta(minutes=2), "now", total=55)
    Rule.objects.create(rule_id="tier", title="Tier: regular", definition=TIER)
    quiet = Rule.objects.create(rule_id="quiet", title="Quiet offer", enabled=False,
                                definition={**refill_rule.definition})
    ScheduledAction.objects.update(created_at=timezone.now())
    shown = panel(client)
    table = shown[shown.index("masa-home-journeys"):]
    refill = table[table.index("<bdi>Absorbent products refill</bdi>"):]
    refill = refill[:refill.index("</tr>")]
    assert "Live" in refill and ">1</td>" in refill and '₪55.00</bdi>' in refill
    off = table[table.index(f"<bdi>{quiet.title}</bdi>"):]
    assert "Off" in off[:off.index("</tr>")]
    assert table.index("Absorbent products refill") < table.index(quiet.title), "live journeys first"
    assert "Tier: regular" not in shown, "a bookkeeping rule is not a journey"
    assert "1 journey live" in shown


def test_the_attention_count_is_the_pages_count_and_links_to_it(client):
    StoreEvent.objects.create(source="t", source_id="x", name="order_placed", occurred_at=timezone.now(),
                              status="failed", error="boom")
    shown = panel(client)
    assert attention().total == 1
    assert f'href="{reverse("masa_failures")}"><span>1</span> needs attention</a>' in shown
