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
    status: str          # done | cancelled (skipped) | failed
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
    """The actions the rehearsal made or ended, each dated when it would happen (``_when``), in
    date order, only those within ``now``..``horizon``."""
    actions = (ScheduledAction.objects.filter(customer=customer).exclude(pk__in=known)
               .select_related("rule", "voided_by").order_by("due_at", "pk"))
    subjects = dict(Delivery.objects.filter(customer=customer, action__in=actions).values_list("action_id", "subject"))
    result = []
    for action in actions:
        at = _when(action, now)
        if at < now or at > horizon or action.status == ScheduledAction.Status.PENDING:
            continue
        note = action.cancel_reason or action.last_error or action.outcome
        result.append(Next(action.pk, at, action.rule.title if action.rule else "Masa", action.kind, action.status,
                           note, subjects.get(action.pk, ""), action.held_out,
                           describe(action) if describe else f"{action.kind} {action.params.get('template', '')}".strip()))
    return sorted(result, key=lambda item: (item.at, item.action_id))


def _when(action: ScheduledAction, now: datetime) -> datetime:
    """When an action would be done, fail or be skipped. Events the rehearsal plays are evaluated
    at the real time, so a skip they cause (a newer message went) is stamped today: it is dated by
    its cause, the event, instead — never before ``now``."""
    at = action.completed_at or action.due_at
    if action.status == ScheduledAction.Status.CANCELLED and action.voided_by_id:
        at = max(action.voided_by.occurred_at, now)
    return at
