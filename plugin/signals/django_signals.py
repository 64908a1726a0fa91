"""Public Django signals for stores that run in the same process as Masa.

A Django store sends, for example::

    from masa.signals import order_placed
    order_placed.send(sender=Order, order_id="42", email="jane@example.com", customer_id="7",
                      lines=[{"product_id": "p1", "product_name": "Walker", "quantity": 1,
                              "total": 120.0, "category": "walkers"}],
                      total=120.0, currency="EUR")

Each signal becomes the same normalized event a Saleor webhook would give, stored first and
evaluated after commit. Receivers never send messages.

``form_submitted`` (a Wagtail form page, a survey) and ``store_event`` (anything else the store
knows, as ``custom.<name>``: an invoice sent or paid, a service booked) carry ``submission_id`` /
``event_id`` so that sending twice stores once::

    form_submitted.send(sender=FormPage, form="feedback", submission_id=str(submission.pk),
                        email="jane@example.com", answers={"rating": "5"})
    store_event.send(sender=Invoice, name="invoice_sent", event_id="inv-1001",
                     email="jane@example.com", data={"amount": 240.0})
"""
from __future__ import annotations

from django.dispatch import Signal, receiver
from django.utils import timezone

from ..events import Identity, NormalizedEvent
from .normalize import order_events, summarize_lines

order_placed = Signal()
order_paid = Signal()
order_fulfilled = Signal()
order_cancelled = Signal()
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
}


def _identity(kwargs):
    return Identity(
        store_id=str(kwargs["customer_id"]) if kwargs.get("customer_id") else None,
        email=(kwargs.get("email") or "").lower(),
        first_name=kwargs.get("first_name", ""),
        last_name=kwargs.get("last_name", ""),
    )


def _consent(kwargs) -> dict:
    """``marketing_consent=True/False`` given with a signal: the store's word on marketing consent."""
    value = kwargs.get("marketing_consent")
    return {"marketing_consent": value} if isinstance(value, bool) else {}


def _lines(raw_lines) -> list[dict]:
    return [
        {
            "product_id": str(line.get("product_id", "")),
            "product_name": line.get("product_name", ""),
            "variant_id": str(line.get("variant_id", "")),
            "sku": line.get("sku", ""),
            "quantity": int(line.get("quantity", 1)),
            "total": float(line.get("total", 0)),
            "category": line.get("category", ""),
            "category_name": line.get("category_name", ""),
            "parent_category": line.get("parent_category", ""),
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
        occurred_at = kwargs.get("occurred_at") or timezone.now()
        identity = _identity(kwargs)
        data = {
            **_consent(kwargs),
            "order_id": str(order_id),
            "number": str(kwargs.get("number", order_id)),
            "total": float(kwargs.get("total", sum(line["total"] for line in lines))),
            "currency": kwargs.get("currency", ""),
            "phone": kwargs.get("phone", ""),
            "guest": not kwargs.get("customer_id"),
            "lines": lines,
            **summarize_lines(lines),
        }
        events = order_events(name, str(order_id), occurred_at, identity, data)
        return _store(events)

    return handle


for _name, _signal in ORDER_SIGNALS.items():
    _signal.connect(_order_receiver(_name), weak=False, dispatch_uid=f"masa-{_name}")


@receiver(checkout_updated, dispatch_uid="masa-checkout_updated")
def _checkout_updated(sender, checkout_id, **kwargs):
    lines = _lines(kwargs.get("lines"))
    occurred_at = kwargs.get("occurred_at") or timezone.now()
    data = {"checkout_id": str(checkout_id), "total": float(kwargs.get("total", 0)),
            "currency": kwargs.get("currency", ""), "lines": lines, **summarize_lines(lines)}
    return _store([NormalizedEvent("checkout_updated", f"checkout_updated:{checkout_id}:{occurred_at.isoformat()}",
                                   occurred_at, _identity(kwargs), data)])


def _customer_receiver(name):
    def handle(sender, customer_id, **kwargs):
        occurred_at = kwargs.get("occurred_at") or timezone.now()
        identity = _identity({**kwargs, "customer_id": customer_id})
        data = {**_consent(kwargs), "store_id": identity.store_id, "email": identity.email,
                "first_name": identity.first_name, "last_name": identity.last_name,
                "phone": kwargs.get("phone", ""), "metadata": kwargs.get("metadata", {}), "private_metadata": {}}
        source_id = f"{name}:{customer_id}" if name == "customer_created" else f"{name}:{customer_id}:{occurred_at.isoformat()}"
        return _store([NormalizedEvent(name, source_id, occurred_at, identity, data)])

    return handle


customer_created.connect(_customer_receiver("customer_created"), weak=False, dispatch_uid="masa-customer_created")
customer_updated.connect(_customer_receiver("customer_updated"), weak=False, dispatch_uid="masa-customer_updated")


def _form_submitted(sender, form, submission_id, **kwargs):
    occurred_at = kwargs.get("occurred_at") or timezone.now()
    answers = {str(k): v for k, v in (kwargs.get("answers") or {}).items() if isinstance(v, (str, int, float, bool))}
    return _store([NormalizedEvent("form_submitted", f"form_submitted:{form}:{submission_id}", occurred_at,
                                   _identity(kwargs), {"form": str(form), **answers})])


def _store_event(sender, name, event_id, **kwargs):
    occurred_at = kwargs.get("occurred_at") or timezone.now()
    event_name = name if name.startswith("custom.") else f"custom.{name}"
    return _store([NormalizedEvent(event_name, f"{event_name}:{event_id}", occurred_at, _identity(kwargs),
                                   dict(kwargs.get("data") or {}))])


form_submitted.connect(_form_submitted, weak=False, dispatch_uid="masa-form_submitted")
store_event.connect(_store_event, weak=False, dispatch_uid="masa-store_event")
