"""The webhooks Masa registers in a Saleor: one per subscription query, for the events it names."""
from __future__ import annotations

import re

from .client import document

SUBSCRIPTIONS = {
    "Masa orders": "subscription_orders",
    "Masa checkouts": "subscription_checkouts",
    "Masa customers": "subscription_customers",
}


def subscription_events(query: str) -> list[str]:
    """The async event types a subscription query selects: ``... on OrderFullyPaid`` → ORDER_FULLY_PAID."""
    names = re.findall(r"\.\.\.\s*on\s+([A-Z]\w*)", query)
    return [re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in dict.fromkeys(names)]


def planned_webhooks(target_url: str) -> list[dict]:
    return [{"name": name, "target_url": target_url, "query": document(doc),
             "events": subscription_events(document(doc))} for name, doc in SUBSCRIPTIONS.items()]


def register(client, target_url: str) -> list[dict]:
    """Create Masa's webhooks through ``client`` (a SaleorClient); returns the created webhooks."""
    return [client.webhooks.create(**webhook) for webhook in planned_webhooks(target_url)]
