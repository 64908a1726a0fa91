"""Saleor webhook payloads → Masa's normalized events (docs/architecture.md, "Events"), and the
one declaration of each Saleor event Masa reads (``SALEOR_EVENTS``, "Add an event type").

A ``SaleorEvent`` says everything about one Saleor event: its Saleor enum (``ORDER_CREATED``), the
webhook that subscribes to it and what its subscription selects (``Subscription``, whose fragment
the readers here read), the reader that normalizes its payload and the Masa event types it makes
(``events.py``: what rules and the customer's facts see; none: acknowledged only). Everything else
comes from the declarations: the subscription queries (``subscription_documents``, which
``make subscriptions`` writes to plugin/saleor/graphql/subscription_*.graphql, and
tests/signals/test_saleor_events.py fails when the committed files differ), so the manifest's
and ``masa_saleor_webhooks``' webhooks; the events the webhook view accepts (``SUPPORTED_EVENTS``);
``normalize`` and ``gone``.

Pure functions over parsed JSON: no database, no HTTP. A payload of the wrong shape raises
``PayloadError`` naming the missing or wrong field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable

from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from ..events import Identity, NormalizedEvent
from ..values import person_name, phone_number


class PayloadError(ValueError):
    """The body is JSON but not the shape this event type has."""


# The customer was deleted in Saleor: not an event for rules but an erasure (``inbound``).
CUSTOMER_DELETED = "customer_deleted"


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


def _order_events(event: SaleorEvent, payload: dict) -> list[NormalizedEvent]:
    order = _require(payload, "order", "body")
    order_id = _require(order, "id", "order")
    user = order.get("user") or {}
    identity = Identity(store_id=user.get("id"), email=(order.get("userEmail") or user.get("email") or "").lower())
    lines = _lines(order.get("lines") or [], "order")
    total, currency = _money(order.get("total"))
    occurred_at = _when(payload.get("issuedAt"), "body.issuedAt")
    name = event.makes[0]
    data = {
        "order_id": order_id,
        "number": str(order.get("number") or ""),
        "status": order.get("status") or "",
        "charge_status": order.get("chargeStatus") or "",
        "channel": (order.get("channel") or {}).get("slug", ""),
        "total": total,
        "currency": currency,
        "phone": _phone(order.get("billingAddress")),
        # The billing name greets a guest (and an account without a name): typed by anyone.
        **_billing_name(order.get("billingAddress")),
        "country": _country(order.get("shippingAddress"), order.get("billingAddress")),
        "locale": order.get("languageCode") or user.get("languageCode") or "",
        "guest": not user.get("id"),
        "metadata": _pairs(order.get("metadata")),
        "user_metadata": _pairs(user.get("metadata")),
        "lines": lines,
        **summarize_lines(lines),
        **event.data,
    }
    source_id = f"{event.name}:{order_id}:{payload.get('issuedAt')}" if event.repeats else ""
    return order_events(name, order_id, occurred_at, identity, data, source_id)


def _checkout_events(event: SaleorEvent, payload: dict) -> list[NormalizedEvent]:
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
    name = event.makes[0]
    return [NormalizedEvent(name, f"{name}:{checkout_id}:{updated_at}", occurred_at, identity, data)]


def _pairs(items) -> dict:
    return {item["key"]: item.get("value") for item in items or [] if isinstance(item, dict) and "key" in item}


def _billing_name(address) -> dict:
    """``first_name`` / ``last_name`` of a Saleor billing address, cleaned (``values.person_name``)."""
    address = address if isinstance(address, dict) else {}
    return {"first_name": person_name(address.get("firstName")), "last_name": person_name(address.get("lastName"))}


def _phone(*addresses) -> str:
    """The first phone number of these Saleor addresses (for the SMS channel)."""
    return next((phone_number(a["phone"]) for a in addresses if isinstance(a, dict) and a.get("phone")), "")


def _country(*addresses) -> str:
    """The ISO country code of the first of these Saleor addresses that has one (the time zone
    of a customer whose country has only one comes from it)."""
    return next((str(a["country"]["code"]).upper() for a in addresses
                 if isinstance(a, dict) and isinstance(a.get("country"), dict) and a["country"].get("code")), "")


def _customer_events(event: SaleorEvent, payload: dict) -> list[NormalizedEvent]:
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
    name = event.makes[0]
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
    source_id = f"{name}:{user_id}:{issued_at}" if event.repeats else f"{name}:{user_id}"
    return [NormalizedEvent(name, source_id, occurred_at, identity, data)]


def gone(event_type: str, payload) -> str:
    """Why a signed delivery carries no object, or "": Saleor builds a delivery in its worker after
    the fact, and when the object is gone by then (``checkoutComplete`` deleted the checkout, the
    customer or order was deleted) it sends ``"checkout": null``. That is a normal race, not bad
    input: the delivery is kept and makes no event."""
    event = SALEOR_EVENTS.get(event_type)
    name = event.object if event else ""
    if name and isinstance(payload, dict) and name in payload and payload[name] is None:
        return (f"the {name} was gone when Saleor built this delivery (completed or deleted in the meantime): "
                f"kept, nothing to read")
    return ""


def _customer_deleted(event: SaleorEvent, payload: dict) -> list[NormalizedEvent]:
    user = _require(payload, "user", "body")
    user_id = _require(user, "id", "user")
    identity = Identity(store_id=user_id, email=(user.get("email") or "").lower())
    occurred_at = _when(payload.get("issuedAt"), "body.issuedAt")
    return [NormalizedEvent(CUSTOMER_DELETED, f"{CUSTOMER_DELETED}:{user_id}", occurred_at, identity,
                            {"store_id": user_id})]


def _acknowledged(event: SaleorEvent, payload: dict) -> list[NormalizedEvent]:
    """An event that makes none: its object (if it carries one) must be there."""
    if event.object:
        _require(payload, event.object, "body")
    return []


def normalize(event_type: str, payload) -> list[NormalizedEvent]:
    """Normalized events for one Saleor delivery (its declaration's reader); an empty list for
    acknowledged-only events and for a delivery whose object was gone (``gone``)."""
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    event = SALEOR_EVENTS.get(event_type)
    if event is None:
        raise PayloadError(f"unsupported event type {event_type!r}")
    if gone(event_type, payload):
        return []
    return (event.read or _acknowledged)(event, payload)


# ─ The Saleor events Masa reads: one declaration each ───────────────────────────────────────────


@dataclass(frozen=True)
class Subscription:
    """One webhook Masa registers: its name in Saleor (``saleor.webhooks.SUBSCRIPTIONS``), its
    subscription query (plugin/saleor/graphql/<document>.graphql; "" for the app webhook,
    ``saleor.installation.APP_WEBHOOK``), the object its events carry (``gone``), the fragment
    that object is selected with (written at the top of the document: the payload shape the
    readers above read) and the fields every event of it selects."""

    webhook: str
    document: str = ""
    object: str = ""
    fragment: str = ""
    fields: tuple[str, ...] = ("__typename", "issuedAt")


@dataclass(frozen=True, eq=False)
class SaleorEvent:
    """One Saleor event Masa reads (docs/architecture.md, "Add an event type")."""

    enum: str                            # Saleor's WebhookEventTypeAsyncEnum value: ORDER_CREATED
    subscription: Subscription           # the webhook that subscribes to it
    makes: tuple[str, ...] = ()          # the Masa event types it makes (events.py), the one its reader
                                         # names first: the facts it changes; none: acknowledged only
    read: Callable | None = None         # (event, payload) → NormalizedEvents; None: acknowledged (its object checked)
    selects: str = ""                    # what ``... on <Type> { }`` selects; "": its object, with the fragment
    subscribed: bool = True              # False: no longer subscribed, accepted from webhooks an earlier Masa registered
    repeats: bool = False                # may come more than once for one object: each delivery is an event
    data: dict = field(default_factory=dict)  # added to the data of the event it makes

    @property
    def name(self) -> str:
        """``order_fully_paid``: the ``Saleor-Event`` header, and ``saleor.webhooks.event_name`` of its type."""
        return self.enum.lower()

    @property
    def typename(self) -> str:
        """``OrderFullyPaid``: its payload type in Saleor's schema (the signed ``__typename``)."""
        return "".join(part.capitalize() for part in self.enum.split("_"))

    @property
    def object(self) -> str:
        return self.subscription.object

    @property
    def selection(self) -> str:
        return self.selects or f"{self.object} {{ ...{self.subscription.fragment} }}"


ORDERS = Subscription("Masa orders", "subscription_orders", "order", "OrderPayload",
                      fields=("__typename", "issuedAt", "version"))
CHECKOUTS = Subscription("Masa checkouts", "subscription_checkouts", "checkout", "CheckoutPayload")
CUSTOMERS = Subscription("Masa customers", "subscription_customers", "user", "CustomerPayload")
APP = Subscription("Masa app")
PLACED = ("order_placed", "category_bought", "product_bought")

SALEOR_EVENTS: dict[str, SaleorEvent] = {event.name: event for event in (
    SaleorEvent("ORDER_CREATED", ORDERS, PLACED, _order_events),
    SaleorEvent("ORDER_PAID", ORDERS, ("order_paid",), _order_events),
    SaleorEvent("ORDER_FULLY_PAID", ORDERS, ("order_paid",), _order_events),
    SaleorEvent("ORDER_FULFILLED", ORDERS, ("order_fulfilled",), _order_events),
    SaleorEvent("ORDER_CANCELLED", ORDERS, ("order_cancelled",), _order_events),
    # A refund can come more than once for one order (partial refunds, then the full one).
    SaleorEvent("ORDER_REFUNDED", ORDERS, ("order_refunded",), _order_events, repeats=True,
                data={"fully_refunded": False}),
    SaleorEvent("ORDER_FULLY_REFUNDED", ORDERS, ("order_refunded",), _order_events, repeats=True,
                data={"fully_refunded": True}),
    # No longer subscribed (their content arrives in the events above): only accepted from
    # webhooks an earlier Masa registered, until the app is reinstalled.
    SaleorEvent("ORDER_CONFIRMED", ORDERS, subscribed=False),
    SaleorEvent("ORDER_UPDATED", ORDERS, subscribed=False),
    SaleorEvent("CHECKOUT_CREATED", CHECKOUTS, ("checkout_updated",), _checkout_events),
    SaleorEvent("CHECKOUT_UPDATED", CHECKOUTS, ("checkout_updated",), _checkout_events),
    SaleorEvent("CUSTOMER_CREATED", CUSTOMERS, ("customer_created",), _customer_events),
    SaleorEvent("CUSTOMER_UPDATED", CUSTOMERS, ("customer_updated",), _customer_events, repeats=True),
    # A metadata change arrives as CUSTOMER_METADATA_UPDATED alone when Saleor's legacy update
    # emission is off (and beside CUSTOMER_UPDATED when it is on): both are a customer_updated.
    SaleorEvent("CUSTOMER_METADATA_UPDATED", CUSTOMERS, ("customer_updated",), _customer_events, repeats=True),
    # An erasure (``inbound``), not an event for rules.
    SaleorEvent("CUSTOMER_DELETED", CUSTOMERS, (CUSTOMER_DELETED,), _customer_deleted, selects="user { id email }"),
    # Masa's own app was uninstalled (the view marks the store, ``installation.uninstalled``).
    SaleorEvent("APP_DELETED", APP, selects="app { id }"),
)}
# The events the webhook view accepts: a live view of the declarations.
SUPPORTED_EVENTS = SALEOR_EVENTS.keys()
# Accepted and stored, but they make no event.
ACKNOWLEDGED_EVENTS = frozenset(name for name, event in SALEOR_EVENTS.items() if not event.makes)
SUBSCRIPTION = "subscription {"


def subscriptions() -> list[Subscription]:
    """The webhooks of the declared events, in the order they are first declared."""
    return list(dict.fromkeys(event.subscription for event in SALEOR_EVENTS.values()))


def subscription_documents(directory: Path) -> dict[str, str]:
    """Each webhook's subscription query (document name → text) as ``make subscriptions`` writes
    it into ``directory`` (plugin/saleor/graphql/): the document's fragments as they stand (written
    by hand), then ``subscription`` with one ``... on <Type> { selection }`` per subscribed event."""
    documents = {}
    for subscription in subscriptions():
        if not subscription.document:
            continue
        path = directory / f"{subscription.document}.graphql"
        fragments = path.read_text().split(SUBSCRIPTION, 1)[0] if path.exists() else ""
        selected = [*subscription.fields, *(f"... on {event.typename} {{ {event.selection} }}"
                                            for event in SALEOR_EVENTS.values()
                                            if event.subscription == subscription and event.subscribed)]
        documents[subscription.document] = (fragments + SUBSCRIPTION + "\n  event {\n"
                                            + "".join(f"    {line}\n" for line in selected) + "  }\n}\n")
    return documents
