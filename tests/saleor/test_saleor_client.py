"""The Saleor client: documents valid against the real schema, auth, retries, precise errors."""
import asyncio
import re

import httpx
import pytest
from django.core.management import call_command

from masa.saleor import (
    AsyncSaleorClient,
    SaleorClient,
    SaleorGraphQLError,
    SaleorMutationError,
    SaleorRequestError,
    SaleorUnavailable,
)
from masa.saleor.client import DOCUMENTS
from masa.saleor.webhooks import planned_webhooks

from ..helpers import SHARED
from ..saleor_fake import FakeSaleor, saleor_schema, schema_problems

API = "https://shop.example.com/graphql/"
ALL_DOCUMENTS = sorted(DOCUMENTS.glob("*.graphql"))


@pytest.mark.parametrize("path", ALL_DOCUMENTS, ids=lambda p: p.name)
def test_every_document_masa_sends_or_registers_is_valid_against_the_saleor_schema(path):
    assert schema_problems(path.read_text()) == []


def test_a_document_with_a_wrong_field_is_caught_by_the_schema_check():
    problems = schema_problems("query { order(id: \"1\") { id totalPriceGross } }")
    assert problems and "totalPriceGross" in problems[0]


def selected_paths(text: str) -> set[str]:
    """Every field path a subscription selects (fragments and inline fragments followed)."""
    from graphql import parse
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    document = parse(text)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    paths = set()

    def walk(selection_set, prefix):
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                path = f"{prefix}.{selection.name.value}" if prefix else selection.name.value
                paths.add(path)
                if selection.selection_set:
                    walk(selection.selection_set, path)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                walk(fragments[selection.name.value].selection_set, prefix)

    for definition in document.definitions:
        if definition.kind == "operation_definition":
            walk(definition.selection_set, "")
    return paths


@pytest.mark.parametrize("shared, ours", [
    ("captured-3.23/subscription_orders.graphql", "subscription_orders"),
    ("captured-3.23/subscription_checkouts.graphql", "subscription_checkouts"),
    ("captured-3.23/subscription_customers.graphql", "subscription_customers"),
    ("order_sub.graphql", "subscription_orders"), ("checkout_sub.graphql", "subscription_checkouts"),
    ("customer_sub.graphql", "subscription_customers"),
])
def test_masa_subscriptions_select_at_least_what_the_captures_were_made_with(shared, ours):
    """The captured bodies stay valid inputs: Masa's queries only ever add fields."""
    assert selected_paths((SHARED / "saleor" / shared).read_text()) <= selected_paths(
        (DOCUMENTS / f"{ours}.graphql").read_text())


def test_categories_are_selected_with_their_slug_and_parent_chain_everywhere():
    for name in ("subscription_orders", "subscription_checkouts"):
        paths = selected_paths((DOCUMENTS / f"{name}.graphql").read_text())
        category = next(p for p in paths if p.endswith("product.category"))
        assert {f"{category}.slug", f"{category}.parent.slug", f"{category}.parent.parent.slug"} <= paths, name
    checkout = selected_paths((DOCUMENTS / "subscription_checkouts.graphql").read_text())
    assert {"event.checkout.lines.unitPrice.gross.amount", "event.checkout.lines.totalPrice.gross.amount"} <= checkout


def test_registered_events_are_async_webhook_events_of_the_schema():
    async_events = set(saleor_schema().get_type("WebhookEventTypeAsyncEnum").values)
    for webhook in planned_webhooks("https://masa.example.com/masa/webhooks/saleor/"):
        assert webhook["events"] and set(webhook["events"]) <= async_events


def client_for(fake, **kwargs):
    return SaleorClient(API, "app-token", transport=fake.transport(), sleep=lambda s: None, **kwargs)


def test_private_metadata_is_written_with_the_app_token_and_returned():
    fake = FakeSaleor(UpdatePrivateMetadata=lambda v: {"updatePrivateMetadata": {
        "item": {"privateMetadata": v["input"]}, "errors": []}})
    result = client_for(fake).customers.update_private_metadata("VXNlcjox", {"masa.tier": "strong", "masa.orders": 4})
    assert result == {"masa.tier": "strong", "masa.orders": "4"}
    assert fake.requests[0]["authorization"] == "Bearer app-token"


def test_a_single_use_voucher_takes_channel_lookup_create_and_channel_listing():
    fake = FakeSaleor(
        Channel={"channel": {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "ILS"}},
        VoucherCreate={"voucherCreate": {"voucher": {"id": "Vm91Y2hlcjox", "name": "Refill 10%"}, "errors": []}},
        VoucherChannelListingUpdate={"voucherChannelListingUpdate": {"voucher": {"id": "Vm91Y2hlcjox"}, "errors": []}},
    )
    voucher_id = client_for(fake).vouchers.create_single_use(code="REFILL-7QX2", name="Refill 10%",
                                                             channel="default-channel", value=10)
    assert voucher_id == "Vm91Y2hlcjox"
    assert fake.operations() == ["Channel", "VoucherCreate", "VoucherChannelListingUpdate"]
    create, listing = fake.requests[1]["variables"]["input"], fake.requests[2]["variables"]["input"]
    assert create["addCodes"] == ["REFILL-7QX2"] and create["singleUse"] and create["usageLimit"] == 1
    assert listing == {"addChannels": [{"channelId": "Q2hhbm5lbDox", "discountValue": "10"}]}


def test_a_mutation_error_names_the_mutation_and_the_field():
    fake = FakeSaleor(GiftCardCreate={"giftCardCreate": {"giftCard": None, "errors": [
        {"field": "balance", "message": "Value must be greater than 0.", "code": "INVALID"}]}})
    with pytest.raises(SaleorMutationError, match=r"giftCardCreate failed: field 'balance': Value must be greater"):
        client_for(fake).gift_cards.create(amount="0.00", currency="ILS")


def test_graphql_errors_name_the_operation_and_the_path():
    fake = FakeSaleor(Order=httpx.Response(200, json={"data": {"order": None}, "errors": [
        {"message": "You need one of the following permissions: MANAGE_ORDERS", "path": ["order"]}]}))
    with pytest.raises(SaleorGraphQLError, match=r"^order: You need one of .*MANAGE_ORDERS \(at order\)$"):
        client_for(fake).orders.get("T3JkZXI6MQ==")


def test_5xx_and_network_errors_are_retried_with_growing_backoff_then_succeed():
    pauses = []
    fake = FakeSaleor(Checkout=[httpx.Response(502, text="bad gateway"), httpx.ConnectTimeout("slow"),
                                {"checkout": {"id": "Q2hlY2tvdXQ6MQ=="}}])
    client = SaleorClient(API, "t", transport=fake.transport(), sleep=pauses.append, backoff=1.0)
    assert client.checkouts.get("Q2hlY2tvdXQ6MQ==") == {"id": "Q2hlY2tvdXQ6MQ=="}
    assert len(fake.requests) == 3 and len(pauses) == 2
    assert 0.5 <= pauses[0] <= 1.5 and 1.0 <= pauses[1] <= 3.0


def test_giving_up_after_the_last_retry_says_why():
    fake = FakeSaleor(Customer=[httpx.Response(503, text="down")] * 4)
    with pytest.raises(SaleorUnavailable, match=r"customer: Saleor unreachable after 4 attempts \(HTTP 503\)"):
        client_for(fake, retries=3).customers.get("VXNlcjox")
    assert len(fake.requests) == 4


def test_4xx_is_not_retried():
    fake = FakeSaleor(Customer=[httpx.Response(401, json={"detail": "bad token"})])
    with pytest.raises(SaleorRequestError, match="customer: Saleor answered 401"):
        client_for(fake).customers.get("VXNlcjox")
    assert len(fake.requests) == 1


def test_the_async_client_runs_the_same_flows():
    fake = FakeSaleor(Channel={"channel": None})

    async def run():
        async with AsyncSaleorClient(API, "t", transport=fake.transport()) as client:
            return await client.vouchers.create_single_use(code="X", name="X", channel="nope", value=5)

    with pytest.raises(Exception, match="no channel with slug 'nope'"):
        asyncio.run(run())
    fake = FakeSaleor(UpdateMetadata=lambda v: {"updateMetadata": {"item": {"metadata": v["input"]}, "errors": []}})

    async def write():
        async with AsyncSaleorClient(API, "t", transport=fake.transport()) as client:
            return await client.customers.update_metadata("VXNlcjox", {"masa.tier": "medium"})

    assert asyncio.run(write()) == {"masa.tier": "medium"}


class AppWebhooksInSaleor:
    """The app's webhooks as a fake Saleor keeps them: created once, updated after."""

    def __init__(self):
        self.webhooks, self.created, self.updated = {}, [], []

    def mine(self, variables):
        return {"app": {"id": "QXBwOjE=", "name": "Masa", "webhooks": list(self.webhooks.values())}}

    def create(self, variables):
        webhook = {"id": f"V2ViaG9vazo{len(self.webhooks) + 1}", "name": variables["input"]["name"],
                   "targetUrl": variables["input"]["targetUrl"], "isActive": True}
        self.webhooks[webhook["id"]] = webhook
        self.created.append(variables["input"])
        return {"webhookCreate": {"webhook": webhook, "errors": []}}

    def update(self, variables):
        self.updated.append(variables)
        return {"webhookUpdate": {"webhook": self.webhooks[variables["id"]], "errors": []}}


def test_the_register_command_creates_one_webhook_per_subscription_and_updates_them_when_run_again(monkeypatch,
                                                                                                    capsys):
    from masa.management.commands import masa_saleor_webhooks

    saleor = AppWebhooksInSaleor()
    fake = FakeSaleor(AppWebhooks=saleor.mine, WebhookCreate=saleor.create, WebhookUpdate=saleor.update)
    monkeypatch.setattr(masa_saleor_webhooks.Command, "client",
                        staticmethod(lambda url, token: SaleorClient(url, token, transport=fake.transport())))
    arguments = ("masa_saleor_webhooks", "--api-url", API, "--token", "t",
                 "--target-url", "https://masa.example.com/masa/webhooks/saleor/")
    call_command(*arguments)
    assert [c["name"] for c in saleor.created] == ["Masa orders", "Masa checkouts", "Masa customers"]
    assert {"ORDER_CANCELLED", "ORDER_REFUNDED", "ORDER_FULLY_REFUNDED"} <= set(saleor.created[0]["asyncEvents"])
    assert saleor.created[2]["asyncEvents"][0] == "CUSTOMER_CREATED"
    assert all(not schema_problems(c["query"]) for c in saleor.created)
    assert len(re.findall(r"^created Masa", capsys.readouterr().out, re.M)) == 3

    call_command(*arguments)
    assert len(saleor.webhooks) == 3 and len(saleor.updated) == 3
    assert len(re.findall(r"^updated Masa", capsys.readouterr().out, re.M)) == 3
    assert all(not schema_problems(u["input"]["query"]) for u in saleor.updated)
