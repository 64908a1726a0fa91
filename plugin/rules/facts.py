"""Customer facts: what an event changes about a customer, and the fact the engine sees."""
from __future__ import annotations

from decimal import Decimal

from ..models import Customer, StoreEvent


def apply_event(customer: Customer, event: StoreEvent) -> list[str]:
    """Update the customer's counters and profile from one event; return the changed field names."""
    data, when = event.data, event.occurred_at
    if event.name == "order_placed":
        customer.orders_count += 1
        customer.total_spent = Decimal(customer.total_spent) + Decimal(str(data.get("total", 0)))
        customer.currency = data.get("currency") or customer.currency
        customer.first_order_at = min(filter(None, [customer.first_order_at, when]))
        customer.last_order_at = max(filter(None, [customer.last_order_at, when]))
        for line in data.get("lines", []):
            if line.get("product_id"):
                customer.last_bought_product[line["product_id"]] = _later(
                    customer.last_bought_product.get(line["product_id"]), when
                )
        return ["orders_count", "total_spent", "currency", "first_order_at", "last_order_at", "last_bought_product"]
    if event.name == "category_bought":
        category = data["category"]
        customer.category_counts[category] = customer.category_counts.get(category, 0) + 1
        customer.last_bought_category[category] = _later(customer.last_bought_category.get(category), when)
        return ["category_counts", "last_bought_category"]
    if event.name in ("customer_created", "customer_updated"):
        changed = []
        for name in ("email", "first_name", "last_name"):
            value = data.get(name)
            if value and getattr(customer, name) != value:
                setattr(customer, name, value)
                changed.append(name)
        if data.get("metadata") is not None and customer.store_metadata != data["metadata"]:
            customer.store_metadata = data["metadata"]
            changed.append("store_metadata")
        return changed
    return []


def _later(stored_iso: str | None, when) -> str:
    candidate = when.isoformat()
    return max(stored_iso, candidate) if stored_iso else candidate


def customer_fact(customer: Customer) -> dict:
    """The customer as one flat engine fact (``facts.tier`` becomes ``facts__tier``)."""
    fact = {
        "id": f"customer:{customer.pk}",
        "kind": "customer",
        "orders_count": customer.orders_count,
        "total_spent": float(customer.total_spent),
        "marketing_consent": customer.marketing_consent,
        "locale": customer.locale,
        "time_zone": customer.time_zone,
        "email": customer.email,
    }
    for name, value in (customer.facts or {}).items():
        if isinstance(value, (str, int, float, bool)):
            fact[f"facts__{name}"] = value
    return fact


def event_fact(event: StoreEvent) -> dict:
    fact = {"id": f"event:{event.pk}", "kind": "event", "type": event.name}
    for name, value in event.data.items():
        if isinstance(value, (str, int, float, bool)):
            fact[name] = value
        elif isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
            fact[name] = value
    return fact
