"""A customer's next days if nothing else happens: the live path played forward on a copy.

In a rehearsal (nothing sent, nothing written to Saleor) inside a transaction that is rolled
back — on PostgreSQL against private copies holding only this customer's rows (``shadow``) —
the clock runs from now through every action that falls due: pending sends with their checks,
waits for events that time out, effects whose facts start other rules, anniversaries. What each
action would do, and when, is collected before the rollback. It shares the clock with scenarios
and simulation (``playback``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ..models import Customer, Delivery, ScheduledAction, StoreEvent
from ..rehearsal import one_at_a_time
from .playback import Clock, rehearsal


@dataclass(frozen=True)
class Next:
    action_id: int
    at: datetime
    rule: str
    kind: str
    status: str          # done | cancelled | failed | pending (still waiting after the horizon)
    note: str
    subject: str = ""
    held_out: bool = False
    what: str = ""       # the action in words, as its rule says it (``describe``)


def forecast(customer: Customer, days: int = 90, now: datetime | None = None, describe=None) -> list[Next]:
    """What Masa would do for ``customer`` in the next ``days``, in time order; ``describe(action)``
    says an action in words (the admin passes its rules' words). Raises ``rehearsal.Busy`` while
    another simulation or forecast plays (one at a time, ``one_at_a_time``)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=days)
    with one_at_a_time(), rehearsal(copy=True, customer_id=customer.pk):
        pending = ScheduledAction.objects.filter(status=ScheduledAction.Status.PENDING)
        pending.exclude(customer=customer).update(status=ScheduledAction.Status.CANCELLED,
                                                  cancel_reason="not this forecast's customer")
        StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED).exclude(customer=customer).update(
            status=StoreEvent.Status.PROCESSED)
        known = set(ScheduledAction.objects.filter(customer=customer).exclude(
            status=ScheduledAction.Status.PENDING).values_list("pk", flat=True))
        Clock(now, since_event=0).run_until(horizon)
        return _collect(customer, known, now, horizon, describe)


def _collect(customer: Customer, known: set[int], now, horizon, describe) -> list[Next]:
    actions = (ScheduledAction.objects.filter(customer=customer).exclude(pk__in=known)
               .select_related("rule").order_by("due_at", "pk"))
    subjects = dict(Delivery.objects.filter(customer=customer, action__in=actions).values_list("action_id", "subject"))
    result = []
    for action in actions:
        at = action.completed_at or action.due_at
        if at < now:
            continue
        note = action.cancel_reason or action.last_error or action.outcome
        status = action.status if action.due_at <= horizon else "later"
        result.append(Next(action.pk, at, action.rule.title if action.rule else "Masa", action.kind, status, note,
                           subjects.get(action.pk, ""), action.held_out,
                           describe(action) if describe else f"{action.kind} {action.params.get('template', '')}".strip()))
    return result
