"""Every Saleor event Masa reads is one declaration (``masa.signals.normalize.SALEOR_EVENTS``,
docs/architecture.md "Add an event type"): the committed subscription queries are what the
declarations render, the webhooks Masa registers subscribe to exactly the declared events, each
declaration names a real Saleor event and the Masa event types it makes, and every captured
delivery is read by its declaration into those types."""
import json

import pytest

from masa import events
from masa.saleor import installation
from masa.saleor.client import DOCUMENTS
from masa.saleor.webhooks import SUBSCRIPTIONS, event_name, planned_webhooks, subscription_events
from masa.signals import normalize
from masa.signals.normalize import SALEOR_EVENTS, subscription_documents, subscriptions

from ..helpers import SHARED
from ..saleor_fake import saleor_schema, schema_problems

DECLARED = sorted(SALEOR_EVENTS)
CAPTURED = sorted(path for folder in ("captured", "captured-3.23")
                  for path in (SHARED / "saleor" / folder).glob("*.body.json"))


def test_the_committed_subscription_queries_are_the_rendered_ones():
    rendered = subscription_documents(DOCUMENTS)
    assert sorted(path.stem for path in DOCUMENTS.glob("subscription_*.graphql")) == sorted(rendered)
    for name, text in rendered.items():
        assert (DOCUMENTS / f"{name}.graphql").read_text() == text, \
            f"plugin/saleor/graphql/{name}.graphql is stale: run make subscriptions"
        assert schema_problems(text) == [], name


def test_the_registered_webhooks_are_the_declared_subscriptions():
    declared = {s.webhook: s.document for s in subscriptions() if s.document}
    assert SUBSCRIPTIONS == declared
    (app,) = [s for s in subscriptions() if not s.document]
    assert app.webhook == installation.APP_WEBHOOK["name"]
    assert subscription_events(installation.APP_WEBHOOK["query"]) == [
        event.enum for event in SALEOR_EVENTS.values() if event.subscription == app]


def test_masa_subscribes_to_the_declared_events_and_reads_every_one_it_subscribes_to():
    subscribed = {event: webhook["name"] for webhook in planned_webhooks("https://masa.example/")
                  for event in webhook["events"]}
    assert subscribed == {event.enum: event.subscription.webhook for event in SALEOR_EVENTS.values()
                          if event.subscribed and event.subscription.document}
    app_webhook = subscription_events(installation.APP_WEBHOOK["query"])
    assert {name.lower() for name in [*subscribed, *app_webhook]} <= set(normalize.SUPPORTED_EVENTS)
    unsubscribed = {event.name for event in SALEOR_EVENTS.values() if not event.subscribed}
    assert unsubscribed == {"order_confirmed", "order_updated"}
    assert unsubscribed <= normalize.ACKNOWLEDGED_EVENTS, "only accepted from old webhooks: they make nothing"


@pytest.mark.parametrize("name", DECLARED)
def test_each_declaration_is_a_saleor_event_and_names_what_it_makes(name):
    event = SALEOR_EVENTS[name]
    assert event.enum in saleor_schema().get_type("WebhookEventTypeAsyncEnum").values
    assert saleor_schema().get_type(event.typename) is not None and event_name(event.typename) == name
    assert set(event.makes) <= events.NAMES | {normalize.CUSTOMER_DELETED}
    assert all(events.BY_NAME[made].source == "saleor" for made in event.makes if made in events.BY_NAME)
    assert bool(event.makes) == (event.read is not None), "a reader makes events; no reader: acknowledged"
    document = subscription_documents(DOCUMENTS).get(event.subscription.document, "")
    fragments = document.split(normalize.SUBSCRIPTION, 1)[0] if "..." in event.selection else ""
    assert schema_problems(f"{fragments}subscription {{ event {{ ... on {event.typename} {{ {event.selection} }} }} }}") == []


@pytest.mark.parametrize("path", CAPTURED, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_captured_delivery_makes_only_what_its_declaration_says(path):
    name = path.name.removesuffix(".body.json").split("_", 1)[1]
    made = {event.name for event in normalize.normalize(name, json.loads(path.read_text()))}
    assert made <= set(SALEOR_EVENTS[name].makes)
    assert bool(made) == bool(SALEOR_EVENTS[name].makes)

