"""sync_to_saleor: customer facts written to Saleor private metadata when the step falls due."""
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from masa.actions import due as scheduling
from masa.models import Customer, Rule, ScheduledAction
from masa.rules.compiler import RuleDefinitionError, compile_rule

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def tier_sync(db):
    return Rule.objects.create(rule_id="tier-to-saleor", title="Tier to Saleor", definition={
        "trigger": {"event": "order_placed"},
        "steps": [{"set": {"fact": "tier", "value": "strong"}},
                  {"sync_to_saleor": ["tier", "orders_count", "category_counts"]}]})


def written(variables):
    return {"updatePrivateMetadata": {"item": {"privateMetadata": variables["input"]}, "errors": []}}


def test_facts_and_per_category_counters_are_written_as_masa_private_metadata(client, signing_store, tier_sync, saleor_app):
    fake = saleor_app(UpdatePrivateMetadata=written)
    post_signed(client, signing_store, "order_created", order_payload(when=NOW, user_id="VXNlcjox"))

    assert scheduling.sweep(now=NOW + timedelta(minutes=1)) == {"done": 1}
    [request] = fake.requests
    assert request["variables"]["id"] == "VXNlcjox"
    assert {i["key"]: i["value"] for i in request["variables"]["input"]} == {
        "masa.tier": "strong", "masa.orders_count": "1", "masa.category.absorbent": "1"}
    assert "masa.tier=strong" in ScheduledAction.objects.get().outcome


def test_saleor_down_retries_later_and_a_guest_is_skipped_with_the_reason_not_failed(
        client, signing_store, tier_sync, saleor_app):
    fake = saleor_app(UpdatePrivateMetadata=[httpx.Response(502, text="bad gateway")] * 4 + [written])
    post_signed(client, signing_store, "order_created", order_payload(when=NOW, user_id="VXNlcjox"))
    assert scheduling.sweep(now=NOW + timedelta(minutes=1)) == {"retry": 1}
    assert scheduling.sweep(now=NOW + timedelta(hours=1)) == {"done": 1}
    assert len(fake.requests) == 5

    Customer.objects.update(store_id=None)
    ScheduledAction.objects.update(status="pending", due_at=NOW)
    assert scheduling.sweep(now=NOW + timedelta(hours=2)) == {"cancelled": 1}
    action = ScheduledAction.objects.get()
    assert action.status == "cancelled" and action.cancel_reason == "a guest: no Saleor customer account to write to"
    assert len(fake.requests) == 5


@pytest.mark.parametrize("argument", [[], "tier", ["Tier!"], [3]])
def test_sync_to_saleor_needs_a_list_of_fact_names(argument):
    with pytest.raises(RuleDefinitionError, match=r"steps\[0\].sync_to_saleor: must be a list of fact names"):
        compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": [{"sync_to_saleor": argument}]})
