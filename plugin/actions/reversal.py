"""An order taken back (cancelled, or fully refunded): what Masa planned because of it stops, and
what it stopped comes back.

Pending actions scheduled from the order's events (the thank-you, the refill reminder, the
voucher offer) are cancelled with the reason; actions that a purchase in the order had cancelled
("ordered again") are pending again, due when they were due (their guards are checked again when
they fall due, now against the customer's recomputed facts). A voucher is created only when its
message is prepared, so cancelling the order before then means no voucher is issued at all.
"""
from __future__ import annotations

from ..models import ScheduledAction, StoreEvent
from . import schedule


def on_order_reversed(event: StoreEvent, customer, now) -> tuple[int, int]:
    """Cancel the order's pending actions and restore those it voided (an earlier order's, never its
    own: what the order planned goes with it); returns (cancelled, restored)."""
    order_id = event.data.get("order_id")
    if not order_id:
        return 0, 0
    order_events = StoreEvent.objects.filter(customer=customer, data__order_id=order_id).exclude(pk=event.pk)
    what = "cancelled" if event.name == "order_cancelled" else "refunded"
    number = event.data.get("number") or order_id
    cancelled = schedule.cancel(ScheduledAction.objects.filter(customer=customer, event__in=order_events),
                                f"order #{number} was {what}", now)
    restored = schedule.restore(ScheduledAction.objects.filter(customer=customer, voided_by__in=order_events)
                                .exclude(event__in=order_events),
                                f"restored: order #{number} was {what}")
    restored += _wait_again(customer, order_events, f"waiting again: order #{number} was {what}", event, now)
    return cancelled, restored


def _wait_again(customer, order_events, outcome: str, event: StoreEvent, now) -> int:
    """Waits for an event that one of the order's events answered wait again (a "second order"
    that was cancelled is no second order): what their answer scheduled and is still pending is
    cancelled; what it changed already is taken back with the order (``rules.takeback``)."""
    answered = ScheduledAction.objects.filter(customer=customer, kind=schedule.AWAIT, status=schedule.Status.DONE,
                                              voided_by__in=order_events)
    for action in answered:
        prefix = action.params.get("key_prefix", "")
        schedule.cancel(ScheduledAction.objects.filter(customer=customer, firing_id=action.firing_id,
                                                       idempotency_key__startswith=f"{prefix}:",
                                                       path__startswith=f"{action.path}.wait.on_event["),
                        outcome, now)
        schedule.wait_again(action, outcome, f"{prefix}~{event.pk}")
    return len(answered)
