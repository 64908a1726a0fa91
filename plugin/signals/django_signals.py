"""Public Django signals for stores that run in the same process as Masa.

A Django store sends, for example::

    from masa.signals import order_placed
    order_placed.send(sender=Order, order_id="42", email="jane@example.com", customer_id="7",
                      lines=[{"product_id": "p1", "product_name": "Walker", "quantity": 1,
                              "total": 120.0, "category": "walkers"}],
                      total=120.0, currency="EUR")

Each signal becomes the same normalized event a Saleor webhook would give, stored first and
evaluated after commit. Receivers never send messages.

What Saleor tells about the customer an in-process store passes as keywords, to any signal about
an order, a checkout or a customer: ``locale`` (the customer's language: ``he``, ``en-US``; it
picks a template's text), ``country`` (the address country, ISO ``IL``: the time zone where the
country has one), ``phone`` (for SMS), ``time_zone`` (an IANA name the store knows; stored as
Saleor's ``masa.time_zone`` metadata is) and, on an order, the billing ``first_name`` /
``last_name`` (a guest is greeted by it). A refund (``order_refunded``) says whether it was
``full`` (the order is taken back: its purchase facts and what it planned) and its ``amount``::

    order_refunded.send(sender=Order, order_id="42", email="jane@example.com", customer_id="7",
                        full=False, amount=20.0, currency="EUR", refund_id="r-1")

Amounts (``total``, ``amount``, a line's ``total``) may be ``Decimal``, int, float or text such as
``"20.00"``. What decides what happens (an amount, a quantity, a refund's ``full``, ``occurred_at``)
and is wrong ("abc", a negative amount, ``full="no"``) raises TypeError / ValueError at ``send()``
and stores nothing: the developer sees it at once, and no order is taken back on a guess. What only
describes the customer and does not look like it (``country="Israel"``, ``phone="call me maybe"``,
a locale that is no language, a name with a link in it) is dropped and the event stored. Names
pass ``values.person_name``, as Saleor's do.

``form_submitted`` (a Wagtail form page, a survey) and ``store_event`` (anything else the store
knows, as ``custom.<name>``: an invoice sent or paid, a service booked) carry ``submission_id`` /
``event_id`` so that sending twice stores once::

    form_submitted.send(sender=FormPage, form="feedback", submission_id=str(submission.pk),
                        email="jane@example.com", answers={"rating": "5"})
    store_event.send(sender=Invoice, name="invoice_sent", event_id="inv-1001",
                     email="jane@example.com", data={"amount": 240.0})
"""
from __future__ import annotations

import re
from datetime import datetime

from django.dispatch import Signal, receiver
from django.utils import timezone

from ..events import Identity, NormalizedEvent
from ..money import amount as money_amount
from ..values import language_tag, person_name, phone_number
from .normalize import order_events, summarize_lines

order_placed = Signal()
order_paid = Signal()
order_fulfilled = Signal()
order_cancelled = Signal()
order_refunded = Signal()
checkout_updated = Signal()
customer_created = Signal()
customer_updated = Signal()
form_submitted = Signal()
store_event = Signal()

ORDER_SIGNALS = {
    "order_placed": order_placed,
    "order_paid": order_paid,
    "order_fulfilled": order_fulfilled,
    "order_cancelled": order_cancelled,
    "order_refunded": order_refunded,
}
TIME_ZONE_KEY = "masa.time_zone"  # where Saleor's events carry a time zone the store knows (customer metadata)


def _identity(kwargs):
    return Identity(
        store_id=str(kwargs["customer_id"]) if kwargs.get("customer_id") else None,
        email=(kwargs.get("email") or "").lower(),
        first_name=kwargs.get("first_name", ""),
        last_name=kwargs.get("last_name", ""),
    )


CONSENT_KWARGS = ("marketing_consent", "sms_consent", "whatsapp_consent")  # e-mail's, SMS's, WhatsApp's


def _consent(kwargs) -> dict:
    """``marketing_consent=`` (e-mail), ``sms_consent=``, ``whatsapp_consent=`` True/False given with
    a signal: the store's word on marketing consent per channel. Only a bool counts ("yes" is not
    one: a value that is not what it names is dropped, the event kept)."""
    return {name: kwargs[name] for name in CONSENT_KWARGS if isinstance(kwargs.get(name), bool)}


def _text(kwargs, name) -> str:
    value = kwargs.get(name)
    return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _profile(kwargs) -> dict:
    """The customer's language, address country and phone as Saleor's events carry them
    (``locale``, ``country`` as an upper-case ISO code, ``phone``). What describes the customer and
    does not look like what it names ("Israel", "call me maybe", a number too long to store: a cut
    number is someone else's) is dropped and the event kept."""
    country = _text(kwargs, "country").upper()
    return {"phone": phone_number(kwargs.get("phone")),
            "country": country if re.fullmatch(r"[A-Z]{2}", country) else "",
            "locale": language_tag(kwargs.get("locale"))}


def _money(kwargs, name, default=None):
    """A money value a store passes (``Decimal``, int, float, "20.00") as a float for the event, or
    ``default`` when not given. A wrong one raises TypeError / ValueError at ``send()`` and nothing
    is stored: amounts decide what is taken back, so they are never guessed."""
    value = kwargs.get(name)
    return default if value is None else float(money_amount(value, f"masa.signals: {name}"))


def _currency(kwargs) -> str:
    currency = _text(kwargs, "currency").upper()
    return currency if re.fullmatch(r"[A-Z]{3}", currency) else ""


def _occurred_at(kwargs):
    value = kwargs.get("occurred_at")
    if value is None:
        return timezone.now()
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise TypeError(f"masa.signals: occurred_at must be a time-zone-aware datetime, not {value!r:.60}")
    return value


def _with_time_zone(metadata, kwargs) -> dict:
    """The store's metadata with ``time_zone`` (if given) as Saleor carries it: ``masa.time_zone``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    zone = _text(kwargs, "time_zone")
    try:
        valid = bool(zone) and ("/" in zone or zone == "UTC") and ZoneInfo(zone) is not None
    except (ZoneInfoNotFoundError, ValueError):
        valid = False
    if valid:
        metadata[TIME_ZONE_KEY] = zone
    return metadata


def _refund(kwargs, data) -> dict:
    """A refund: ``fully_refunded`` (the whole order: it is taken back, as Saleor's
    ORDER_FULLY_REFUNDED) from ``full``; without it, full when no ``amount`` is given or the amount
    covers the order's total. ``amount``: what was refunded, when the store says (``Decimal``,
    int, float or "20.00"). A ``full`` that is not True/False, or an amount that is not a number or
    is negative, raises TypeError / ValueError at ``send()``: taking a whole order back on a guess
    is the one thing a refund must not do."""
    amount = _money(kwargs, "amount")
    full = kwargs.get("full")
    if full is not None and not isinstance(full, bool):
        raise TypeError(f"masa.signals: order_refunded full must be True or False, not {full!r:.40}")
    if full is None:
        full = amount is None or (data["total"] > 0 and amount >= data["total"])
    return {"fully_refunded": full, **({"amount": amount} if amount is not None else {})}


def _quantity(line) -> int:
    value = line.get("quantity", 1)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"masa.signals: a line's quantity must be a whole number, not {value!r:.40}")
    return value


def _lines(raw_lines) -> list[dict]:
    if raw_lines is not None and not isinstance(raw_lines, (list, tuple)):
        raise TypeError(f"masa.signals: lines must be a list of dicts, not {type(raw_lines).__name__}")
    if any(not isinstance(line, dict) for line in raw_lines or []):
        raise TypeError("masa.signals: each of lines must be a dict")
    return [
        {
            "product_id": str(line.get("product_id", "")),
            "product_name": _text(line, "product_name"),
            "variant_id": str(line.get("variant_id", "")),
            "sku": _text(line, "sku"),
            "quantity": _quantity(line),
            "total": _money(line, "total", 0.0),
            "category": _text(line, "category"),
            "category_name": _text(line, "category_name"),
            "parent_category": _text(line, "parent_category"),
        }
        for line in raw_lines or []
    ]


def _store(events):
    # Imported here, not at the top: a store's own models module may import masa.signals before
    # Django's app registry is ready, and the event store needs the models.
    from ..eventstore import store_events

    return store_events("django", events)


def _order_receiver(name):
    def handle(sender, order_id, **kwargs):
        lines = _lines(kwargs.get("lines"))
        occurred_at = _occurred_at(kwargs)
        identity = _identity(kwargs)
        data = {
            **_consent(kwargs),
            "order_id": str(order_id),
            "number": str(kwargs.get("number", order_id)),
            "status": _text(kwargs, "status"),
            "charge_status": _text(kwargs, "charge_status"),
            "channel": _text(kwargs, "channel"),
            "total": _money(kwargs, "total", sum(line["total"] for line in lines)),
            "currency": _currency(kwargs),
            **_profile(kwargs),
            # The billing name greets a guest (and an account without a name), as Saleor's does.
            "first_name": person_name(kwargs.get("first_name")),
            "last_name": person_name(kwargs.get("last_name")),
            "guest": not kwargs.get("customer_id"),
            "metadata": dict(kwargs["metadata"]) if isinstance(kwargs.get("metadata"), dict) else {},
            "user_metadata": _with_time_zone({}, kwargs),
            "lines": lines,
            **summarize_lines(lines),
        }
        source_id = ""
        if name == "order_refunded":
            # A refund can come more than once for one order (partial ones, then the full one).
            data.update(_refund(kwargs, data))
            source_id = f"{name}:{order_id}:{kwargs.get('refund_id') or occurred_at.isoformat()}"
        events = order_events(name, str(order_id), occurred_at, identity, data, source_id)
        return _store(events)

    return handle


for _name, _signal in ORDER_SIGNALS.items():
    _signal.connect(_order_receiver(_name), weak=False, dispatch_uid=f"masa-{_name}")


@receiver(checkout_updated, dispatch_uid="masa-checkout_updated")
def _checkout_updated(sender, checkout_id, **kwargs):
    lines = _lines(kwargs.get("lines"))
    occurred_at = _occurred_at(kwargs)
    data = {"checkout_id": str(checkout_id), "total": _money(kwargs, "total", 0.0),
            "currency": _currency(kwargs), "country": _profile(kwargs)["country"],
            "locale": _profile(kwargs)["locale"], "guest": not kwargs.get("customer_id"), **_consent(kwargs),
            "user_metadata": _with_time_zone({}, kwargs), "lines": lines, **summarize_lines(lines)}
    return _store([NormalizedEvent("checkout_updated", f"checkout_updated:{checkout_id}:{occurred_at.isoformat()}",
                                   occurred_at, _identity(kwargs), data)])


def _customer_receiver(name):
    def handle(sender, customer_id, **kwargs):
        occurred_at = _occurred_at(kwargs)
        identity = _identity({**kwargs, "customer_id": customer_id})
        data = {**_consent(kwargs), "store_id": identity.store_id, "email": identity.email,
                "first_name": identity.first_name, "last_name": identity.last_name,
                **_profile(kwargs), "metadata": _with_time_zone(kwargs.get("metadata", {}), kwargs),
                "private_metadata": {}}
        source_id = f"{name}:{customer_id}" if name == "customer_created" else f"{name}:{customer_id}:{occurred_at.isoformat()}"
        return _store([NormalizedEvent(name, source_id, occurred_at, identity, data)])

    return handle


customer_created.connect(_customer_receiver("customer_created"), weak=False, dispatch_uid="masa-customer_created")
customer_updated.connect(_customer_receiver("customer_updated"), weak=False, dispatch_uid="masa-customer_updated")


def _form_submitted(sender, form, submission_id, **kwargs):
    occurred_at = _occurred_at(kwargs)
    answers = {str(k): v for k, v in (kwargs.get("answers") or {}).items() if isinstance(v, (str, int, float, bool))}
    return _store([NormalizedEvent("form_submitted", f"form_submitted:{form}:{submission_id}", occurred_at,
                                   _identity(kwargs), {"form": str(form), **answers})])


def _store_event(sender, name, event_id, **kwargs):
    occurred_at = _occurred_at(kwargs)
    event_name = name if name.startswith("custom.") else f"custom.{name}"
    return _store([NormalizedEvent(event_name, f"{event_name}:{event_id}", occurred_at, _identity(kwargs),
                                   dict(kwargs.get("data") or {}))])


form_submitted.connect(_form_submitted, weak=False, dispatch_uid="masa-form_submitted")
store_event.connect(_store_event, weak=False, dispatch_uid="masa-store_event")
