"""Cart abandonment, which Saleor does not report (saleor/saleor#11207): Masa infers it.

Every ``checkout_updated`` (re)sets one pending ``confirm_abandonment`` action per checkout to
the quiet period after that update (debounce). An order from the customer cancels it at once;
an emptied cart cancels it. When it falls due and no order came, the scheduler stores a
``cart_abandoned`` event, which rules trigger on like any other.
"""
from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .. import conf
from ..models import Customer, RulePack, ScheduledAction, StoreEvent
from . import schedule

KIND = "confirm_abandonment"
MINIMUM_QUIET = timedelta(minutes=15)


def per() -> str:
    """"customer" (one abandonment per customer, the latest cart counts) or "checkout" (one per
    open checkout): the shop's ``CART_ABANDONMENT_PER`` when set, else "checkout" if an installed
    pack asks for it (``cart_abandonment: {per: checkout}``), else "customer"."""
    chosen = conf.get("CART_ABANDONMENT_PER")
    if chosen:
        return chosen
    return "checkout" if RulePack.objects.filter(cart_abandonment="checkout").exists() else "customer"


def quiet_period() -> timedelta:
    period = timedelta(seconds=conf.seconds("CART_ABANDONED_AFTER"))
    if period < MINIMUM_QUIET:
        raise ImproperlyConfigured(
            f"MASA['CART_ABANDONED_AFTER'] is {period}; a cart is not abandoned after minutes (15m at least)"
        )
    return period


def _pending(customer: Customer, checkout_id: str | None = None):
    pending = ScheduledAction.objects.filter(customer=customer, kind=KIND, status=ScheduledAction.Status.PENDING)
    return pending.filter(params__checkout_id=checkout_id) if checkout_id else pending


def concerns(event: StoreEvent, pending_kinds: set[str]) -> bool:
    """Whether this event changes the customer's cart reminders, given the kinds of their pending actions."""
    return event.name == "checkout_updated" or (event.name == "order_placed" and KIND in pending_kinds)


def on_event(event: StoreEvent, customer: Customer, now) -> None:
    if event.name == "checkout_updated":
        checkout_id = event.data.get("checkout_id")
        if not event.data.get("lines"):
            schedule.cancel(_pending(customer, checkout_id), "the cart was emptied", now)
            return
        due = event.occurred_at + quiet_period()
        if per() != "checkout":  # one reminder per customer: the latest cart counts
            schedule.cancel(_pending(customer).exclude(params__checkout_id=checkout_id),
                            f"a newer cart of the customer ({str(checkout_id)[-12:]}) is the one that counts", now)
        if not schedule.move(_pending(customer, checkout_id), event, due):
            schedule.write([ScheduledAction(
                idempotency_key=f"abandon:{checkout_id}:{event.pk}", customer=customer, event=event,
                step=0, kind=KIND, params={"checkout_id": checkout_id}, due_at=due,
            )])
    elif event.name == "order_placed":
        schedule.cancel(_pending(customer), f"the customer placed order #{event.data.get('number', '')}", now)


def confirmation_failure(action: ScheduledAction) -> str | None:
    """Why a due abandonment is not one after all, or None if the cart really was abandoned."""
    last_order = action.customer.last_order_at
    if last_order and last_order >= action.event.occurred_at:
        return f"the customer ordered on {last_order:%Y-%m-%d %H:%M}"
    return None
