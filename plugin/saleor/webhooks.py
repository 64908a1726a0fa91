"""The webhooks Masa registers in a Saleor: one per subscription query, for the events it names."""
from __future__ import annotations

import re

from .client import document

# Webhook name → its subscription query (graphql/<document>.graphql), as the Saleor event
# declarations name them (``masa.signals.normalize.Subscription``); ``make subscriptions`` writes
# the documents from those declarations.
SUBSCRIPTIONS = {
    "Masa orders": "subscription_orders",
    "Masa checkouts": "subscription_checkouts",
    "Masa customers": "subscription_customers",
}


def event_name(typename: str) -> str:
    """``OrderFullyPaid`` → ``order_fully_paid``: the event a Saleor payload type is (and, upper
    case, the webhook event type that sends it)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", typename).lower()


def subscription_events(query: str) -> list[str]:
    """The async event types a subscription query selects: ``... on OrderFullyPaid`` → ORDER_FULLY_PAID."""
    names = re.findall(r"\.\.\.\s*on\s+([A-Z]\w*)", query)
    return [event_name(name).upper() for name in dict.fromkeys(names)]


def planned_webhooks(target_url: str) -> list[dict]:
    return [{"name": name, "target_url": target_url, "query": document(doc),
             "events": subscription_events(document(doc))} for name, doc in SUBSCRIPTIONS.items()]


def register(client, target_url: str) -> list[dict]:
    """Create Masa's webhooks through ``client`` (a SaleorClient), or update those the app has
    already (found by name), so running it again changes the queries but never adds a second set.
    Returns each webhook with ``"action"``: created or updated."""
    existing = {webhook["name"]: webhook for webhook in client.webhooks.mine()}
    done = []
    for webhook in planned_webhooks(target_url):
        if webhook["name"] in existing:
            done.append({**client.webhooks.update(existing[webhook["name"]]["id"], **webhook), "action": "updated"})
        else:
            done.append({**client.webhooks.create(**webhook), "action": "created"})
    return done
