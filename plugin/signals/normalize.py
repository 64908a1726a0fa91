"""Saleor webhook payloads → Masa's normalized events (docs/architecture.md, "Events").

Pure functions over parsed JSON: no database, no HTTP. A payload of the wrong shape raises
``PayloadError`` naming the missing or wrong field.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from ..events import Identity, NormalizedEvent


class PayloadError(ValueError):
    """The body is JSON but not the shape this event type has."""


ORDER_EVENTS = {
    "order_created": "order_placed",
    "order_fully_paid": "order_paid",
    "order_paid": "order_paid",
    "order_fulfilled": "order_fulfilled",
    "order_cancelled": "order_cancelled",
    "order_refunded": "order_refunded",
    "order_fully_refunded": "order_refunded",
}
# A refund can come more than once for one order (partial refunds, then the full one).
REPEATABLE_ORDER_EVENTS = {"order_refunded", "order_fully_refunded"}
CHECKOUT_EVENTS = {"checkout_created", "checkout_updated"}
# A metadata change arrives as CUSTOMER_METADATA_UPDATED alone when Saleor's legacy update
# emission is off (and beside CUSTOMER_UPDATED when it is on): both are a customer_updated.
CUSTOMER_EVENTS = {"customer_created": "customer_created", "customer_updated": "customer_updated",
                   "customer_metadata_updated": "customer_updated"}
# The customer was deleted in Saleor: not an event for rules but an erasure (``inbound``).
CUSTOMER_DELETED = "customer_deleted"
# Accepted and stored, but they make no event: APP_DELETED uninstalls; ORDER_CONFIRMED and
# ORDER_UPDATED are no longer subscribed (their content arrives in the events above) and are
# only accepted from webhooks an earlier Masa registered, until the app is reinstalled.
ACKNOWLEDGED_EVENTS = {"order_confirmed", "order_updated", "app_deleted"}
SUPPORTED_EVENTS = set(ORDER_EVENTS) | CHECKOUT_EVENTS | set(CUSTOMER_EVENTS) | {CUSTOMER_DELETED} | ACKNOWLEDGED_EVENTS
# The object each subscribed event carries (``gone``).
OBJECT_OF = {**{name: "order" for name in (*ORDER_EVENTS, "order_confirmed", "order_updated")},
             **{name: "checkout" for name in CHECKOUT_EVENTS},
             **{name: "user" for name in (*CUSTOMER_EVENTS, CUSTOMER_DELETED)}}


def _require(mapping, key, where):
    if not isinstance(mapping, dict):
        raise PayloadError(f"{where} must be an object")
    if mapping.get(key) in (None, ""):
        raise PayloadError(f"{where}.{key} is missing")
    return mapping[key]


def _when(value, where) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise PayloadError(f"{where} is not an ISO date-time")
    return parsed


def _money(money) -> tuple[float, str]:
    gross = (money or {}).get("gross") or {}
    try:
        amount = float(Decimal(str(gross.get("amount", 0))))
    except (InvalidOperation, ValueError) as error:
        raise PayloadError("a money amount is not a number") from error
    return amount, gross.get("currency", "")


def category_key(category: dict | None) -> str:
    """A stable key for a category: its slug, else a slug of its name."""
    if not category:
        return ""
    return category.get("slug") or slugify(category.get("name") or "") or str(category.get("id", ""))


def _lines(lines, where) -> list[dict]:
    if not isinstance(lines, list):
        raise PayloadError(f"{where}.lines must be a list")
    out = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise PayloadError(f"{where}.lines[{index}] must be an object")
        variant = line.get("variant") or {}
        product = variant.get("product") or {}
        category = product.get("category") or {}
        ancestors = _ancestors(category)
        amount, _ = _money(line.get("totalPrice"))
        unit_price, _ = _money(line.get("unitPrice")) if line.get("unitPrice") else (0.0, "")
        quantity = line.get("quantity", 1)
        if not isinstance(quantity, int) or quantity < 0:
            raise PayloadError(f"{where}.lines[{index}].quantity must be a whole number")
        out.append({
            "product_id": product.get("id") or "",
            "product_name": product.get("name") or line.get("productName") or "",
            "variant_id": variant.get("id") or "",
            "sku": variant.get("sku") or line.get("productSku") or "",
            "quantity": quantity,
            "total": amount,
            "unit_price": unit_price or (round(amount / quantity, 2) if quantity else 0.0),
            "category": category_key(category),
            "category_name": category.get("name") or "",
            "parent_category": ancestors[0] if ancestors else "",
            "ancestors": ancestors,
        })
    return out


def _ancestors(category: dict) -> list[str]:
    """The keys of a category's parent, its parent's parent…, nearest first."""
    keys, parent, seen = [], (category or {}).get("parent"), 0
    while isinstance(parent, dict) and parent and seen < 10:
        keys.append(category_key(parent))
        parent, seen = parent.get("parent"), seen + 1
    return [key for key in keys if key]


def line_categories(line: dict) -> list[str]:
    """A line's category and every ancestor of it."""
    return [key for key in [line.get("category"), *(line.get("ancestors") or [line.get("parent_category")])] if key]


def summarize_lines(lines: list[dict]) -> dict:
    categories = []
    for line in lines:
        for key in line_categories(line):
            if key not in categories:
                categories.append(key)
    return {
        "categories": categories,
        "products": sorted({line["product_id"] for line in lines if line["product_id"]}),
        "skus": sorted({line["sku"] for line in lines if line["sku"]}),
    }


def _quantities(lines: list[dict]) -> dict[str, int]:
    """Product id → how many were bought (a refill with ``periods`` counts each product's own)."""
    quantities: dict[str, int] = {}
    for line in lines:
        if line["product_id"]:
            quantities[line["product_id"]] = quantities.get(line["product_id"], 0) + line["quantity"]
    return quantities


def order_events(name: str, order_id: str, occurred_at: datetime, identity: Identity, data: dict,
                 source_id: str = "") -> list[NormalizedEvent]:
    """The order event itself and, for a placed order, one ``category_bought`` per category and
    one ``product_bought`` per line."""
    events = [NormalizedEvent(name, source_id or f"{name}:{order_id}", occurred_at, identity, data)]
    if name != "order_placed":
        return events
    for category in data["categories"]:
        lines = [line for line in data["lines"] if category in line_categories(line)]
        events.append(NormalizedEvent(
            "category_bought", f"category_bought:{order_id}:{category}", occurred_at, identity,
            {
                "order_id": order_id,
                "number": data["number"],
                "category": category,
                "categories": [category],
                "quantity": sum(line["quantity"] for line in lines),
                "quantities": _quantities(lines),
                "products": sorted({line["product_id"] for line in lines if line["product_id"]}),
            },
        ))
    for line in data["lines"]:
        if not line["product_id"]:
            continue
        events.append(NormalizedEvent(
            "product_bought", f"product_bought:{order_id}:{line['product_id']}:{line['variant_id']}", occurred_at, identity,
            {
                "order_id": order_id,
                "number": data["number"],
                "product_id": line["product_id"],
                "product_name": line["product_name"],
                "sku": line["sku"],
                "quantity": line["quantity"],
                "categories": line_categories(line),
                "products": [line["product_id"]],
                "skus": [line["sku"]] if line["sku"] else [],
            },
        ))
    return events


def _order_events(event_type: str, payload: dict) -> list[NormalizedEvent]:
    order = _require(payload, "order", "body")
    order_id = _require(order, "id", "order")
    user = order.get("user") or {}
    identity = Identity(store_id=user.get("id"), email=(order.get("userEmail") or user.get("email") or "").lower())
    lines = _lines(order.get("lines") or [], "order")
    total, currency = _money(order.get("total"))
    occurred_at = _when(payload.get("issuedAt"), "body.issuedAt")
    name = ORDER_EVENTS[event_type]
    data = {
        "order_id": order_id,
        "number": str(order.get("number") or ""),
        "status": order.get("status") or "",
        "charge_status": order.get("chargeStatus") or "",
        "channel": (order.get("channel") or {}).get("slug", ""),
        "total": total,
        "currency": currency,
        "phone": _phone(order.get("billingAddress")),
        "country": _country(order.get("shippingAddress"), order.get("billingAddress")),
        "locale": order.get("languageCode") or user.get("languageCode") or "",
        "guest": not user.get("id"),
        "metadata": _pairs(order.get("metadata")),
        "user_metadata": _pairs(user.get("metadata")),
        "lines": lines,
        **summarize_lines(lines),
    }
    source_id = ""
    if event_type in REPEATABLE_ORDER_EVENTS:
        data["fully_refunded"] = event_type == "order_fully_refunded"
        source_id = f"{event_type}:{order_id}:{payload.get('issuedAt')}"
    return order_events(name, order_id, occurred_at, identity, data, source_id)


def _checkout_events(payload: dict) -> list[NormalizedEvent]:
    checkout = _require(payload, "checkout", "body")
    checkout_id = _require(checkout, "id", "checkout")
    user = checkout.get("user") or {}
    identity = Identity(store_id=user.get("id"), email=(checkout.get("email") or user.get("email") or "").lower())
    lines = _lines(checkout.get("lines") or [], "checkout")
    total, currency = _money(checkout.get("totalPrice"))
    updated_at = checkout.get("updatedAt") or payload.get("issuedAt")
    occurred_at = _when(updated_at, "checkout.updatedAt")
    data = {
        "checkout_id": checkout_id,
        "channel": (checkout.get("channel") or {}).get("slug", ""),
        "total": total,
        "currency": currency,
        "country": _country(checkout.get("shippingAddress"), checkout.get("billingAddress")),
        "locale": checkout.get("languageCode") or user.get("languageCode") or "",
        "guest": not user.get("id"),
        "metadata": _pairs(checkout.get("metadata")),
        "user_metadata": _pairs(user.get("metadata")),
        "lines": lines,
        **summarize_lines(lines),
    }
    return [NormalizedEvent("checkout_updated", f"checkout_updated:{checkout_id}:{updated_at}", occurred_at, identity, data)]


def _pairs(items) -> dict:
    return {item["key"]: item.get("value") for item in items or [] if isinstance(item, dict) and "key" in item}


def _phone(*addresses) -> str:
    """The first phone number of these Saleor addresses (for the SMS channel)."""
    return next((a["phone"] for a in addresses if isinstance(a, dict) and a.get("phone")), "")


def _country(*addresses) -> str:
    """The ISO country code of the first of these Saleor addresses that has one (the time zone
    of a customer whose country has only one comes from it)."""
    return next((str(a["country"]["code"]).upper() for a in addresses
                 if isinstance(a, dict) and isinstance(a.get("country"), dict) and a["country"].get("code")), "")


def _customer_events(event_type: str, payload: dict) -> list[NormalizedEvent]:
    user = _require(payload, "user", "body")
    user_id = _require(user, "id", "user")
    identity = Identity(
        store_id=user_id,
        email=(user.get("email") or "").lower(),
        first_name=user.get("firstName") or "",
        last_name=user.get("lastName") or "",
    )
    issued_at = payload.get("issuedAt")
    occurred_at = _when(issued_at, "body.issuedAt")
    name = CUSTOMER_EVENTS.get(event_type, event_type)
    data = {
        "store_id": user_id,
        "email": identity.email,
        "first_name": identity.first_name,
        "last_name": identity.last_name,
        "phone": _phone(user.get("defaultBillingAddress"), user.get("defaultShippingAddress")),
        "country": _country(user.get("defaultShippingAddress"), user.get("defaultBillingAddress")),
        "locale": user.get("languageCode") or "",
        "metadata": _pairs(user.get("metadata")),
        "private_metadata": _pairs(user.get("privateMetadata")),
    }
    source_id = f"{name}:{user_id}" if name == "customer_created" else f"{name}:{user_id}:{issued_at}"
    return [NormalizedEvent(name, source_id, occurred_at, identity, data)]


def gone(event_type: str, payload) -> str:
    """Why a signed delivery carries no object, or "": Saleor builds a delivery in its worker after
    the fact, and when the object is gone by then (``checkoutComplete`` deleted the checkout, the
    customer or order was deleted) it sends ``"checkout": null``. That is a normal race, not bad
    input: the delivery is kept and makes no event."""
    name = OBJECT_OF.get(event_type)
    if name and isinstance(payload, dict) and name in payload and payload[name] is None:
        return (f"the {name} was gone when Saleor built this delivery (completed or deleted in the meantime): "
                f"kept, nothing to read")
    return ""


def _customer_deleted(payload: dict) -> list[NormalizedEvent]:
    user = _require(payload, "user", "body")
    user_id = _require(user, "id", "user")
    identity = Identity(store_id=user_id, email=(user.get("email") or "").lower())
    occurred_at = _when(payload.get("issuedAt"), "body.issuedAt")
    return [NormalizedEvent(CUSTOMER_DELETED, f"{CUSTOMER_DELETED}:{user_id}", occurred_at, identity,
                            {"store_id": user_id})]


def normalize(event_type: str, payload) -> list[NormalizedEvent]:
    """Normalized events for one Saleor delivery; an empty list for acknowledged-only events and
    for a delivery whose object was gone (``gone``)."""
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    if gone(event_type, payload):
        return []
    if event_type == CUSTOMER_DELETED:
        return _customer_deleted(payload)
    if event_type in ORDER_EVENTS:
        return _order_events(event_type, payload)
    if event_type in CHECKOUT_EVENTS:
        return _checkout_events(payload)
    if event_type in CUSTOMER_EVENTS:
        return _customer_events(event_type, payload)
    if event_type == "app_deleted":
        return []
    if event_type in ACKNOWLEDGED_EVENTS:
        _require(payload, "order", "body")
        return []
    raise PayloadError(f"unsupported event type {event_type!r}")
