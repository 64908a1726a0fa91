"""A Saleor event is one declaration (docs/architecture.md, "Add an event type"): a throw-away
``SaleorEvent`` (ORDER_EXPIRED, read as an ``order_cancelled``) added to ``SALEOR_EVENTS`` and
nothing else is in the subscription query ``make subscriptions`` writes (and the committed file is
then stale), so in the manifest's and ``masa_saleor_webhooks``' webhooks; the webhook view accepts
its signed deliveries and the normalizer reads them into what it says it makes."""
import shutil

import pytest
from django.urls import reverse

from masa.models import InboundDelivery, StoreEvent
from masa.saleor import client as saleor_client
from masa.saleor.webhooks import planned_webhooks
from masa.signals import normalize
from masa.signals.normalize import ORDERS, SALEOR_EVENTS, SaleorEvent, subscription_documents

from ..helpers import order_payload, post_signed
from ..saleor_fake import schema_problems

EXPIRED = SaleorEvent("ORDER_EXPIRED", ORDERS, ("order_cancelled",), SALEOR_EVENTS["order_cancelled"].read)
SELECTED = "... on OrderExpired { order { ...OrderPayload } }"
COMMITTED = saleor_client.DOCUMENTS


@pytest.fixture
def expired(tmp_path, monkeypatch):
    """The declaration, and the documents ``make subscriptions`` would then write (into a copy of
    plugin/saleor/graphql/, which the client reads instead)."""
    monkeypatch.setitem(SALEOR_EVENTS, EXPIRED.name, EXPIRED)
    for path in COMMITTED.glob("*.graphql"):
        shutil.copy(path, tmp_path)
    for name, text in subscription_documents(COMMITTED).items():
        (tmp_path / f"{name}.graphql").write_text(text)
    monkeypatch.setattr(saleor_client, "DOCUMENTS", tmp_path)
    saleor_client.document.cache_clear()
    yield EXPIRED
    saleor_client.document.cache_clear()


def test_it_is_in_the_rendered_subscription_and_the_committed_file_is_then_stale(expired):
    rendered = subscription_documents(COMMITTED)["subscription_orders"]
    assert SELECTED in rendered and schema_problems(rendered) == []
    assert SELECTED not in (COMMITTED / "subscription_orders.graphql").read_text(), "make subscriptions would write it"
    assert all(SELECTED not in text for name, text in subscription_documents(COMMITTED).items() if name != "subscription_orders")


@pytest.mark.django_db
def test_the_manifest_and_the_registered_webhooks_subscribe_to_it(client, settings, expired):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    (orders,) = [w for w in client.get(reverse("masa:saleor-manifest")).json()["webhooks"] if w["name"] == "Masa orders"]
    assert "ORDER_EXPIRED" in orders["asyncEvents"] and SELECTED in orders["query"]
    planned = {event for webhook in planned_webhooks("https://masa.example/") for event in webhook["events"]}
    assert "ORDER_EXPIRED" in planned
    assert {event.lower() for event in planned} <= set(normalize.SUPPORTED_EVENTS)


@pytest.mark.django_db
def test_the_webhook_view_accepts_it_and_the_normalizer_reads_it(client, signing_store, expired):
    assert "order_expired" in normalize.SUPPORTED_EVENTS
    response = post_signed(client, signing_store, "order_expired", order_payload(order_id="T3JkZXI6OTk="))
    assert response.status_code == 200 and response.json() == {"status": "accepted", "events": 1}
    assert InboundDelivery.objects.get().event_type == "order_expired"
    event = StoreEvent.objects.get()
    assert (event.name, event.data["order_id"]) == ("order_cancelled", "T3JkZXI6OTk=")
    assert normalize.gone("order_expired", {"order": None}) != ""


@pytest.mark.django_db
def test_without_it_the_view_refuses_the_event(client, signing_store):
    response = post_signed(client, signing_store, "order_expired", order_payload())
    assert response.status_code == 400 and response.json()["error"] == "unknown_event"
