"""Waiting for an event with a timeout: ``wait: {event, within, on_event, on_timeout}``.

The wait is an ``await`` action due when the timeout ends; its two branches were compiled with
the rule and travel in its params. A matching event of the same customer inside the window
resolves it and schedules ``on_event`` from the event's time; reaching the timeout schedules
``on_timeout`` from then. Either way the await ends ``done`` with its outcome on the timeline.

An event about a message (opened, clicked, answered…) answers only the waits of the rule run that
sent that message, when that run sent any: "not opened within 2 days" means *this* email.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..models import Customer, Delivery, Rule, RuleFiring, ScheduledAction, StoreEvent
from . import timing
from ..delivery.outcome import DONE, Outcome
from ..plans import PlannedAction, plan_from_dict
from .guards import in_own_branch

KIND = "await"


def schedule_plan(plan: list[PlannedAction], *, rule: Rule, firing: RuleFiring | None, customer: Customer,
                  event: StoreEvent, key_prefix: str, start: datetime | None = None) -> None:
    """Create the scheduled actions of a plan in one INSERT; a key already scheduled is kept as it
    is (idempotent: keys are rule, scope and step path)."""
    rows = plan_rows(plan, rule=rule, firing=firing, customer=customer, event=event, key_prefix=key_prefix, start=start)
    if rows:
        ScheduledAction.objects.bulk_create(rows, ignore_conflicts=True)


def plan_rows(plan: list[PlannedAction], *, rule: Rule, firing: RuleFiring | None, customer: Customer,
              event: StoreEvent, key_prefix: str, start: datetime | None = None) -> list[ScheduledAction]:
    """The scheduled actions of a plan, not written yet (an evaluation writes all of an event's at once)."""
    rows = []
    for planned in plan:
        if not in_own_branch(planned.guard, rule, customer):
            continue
        params = {**planned.params, "key_prefix": key_prefix} if planned.kind == KIND else planned.params
        rows.append(ScheduledAction(
            idempotency_key=f"{key_prefix}:{planned.key}", firing=firing, rule=rule, customer=customer,
            event=event, step=planned.step, path=planned.key, kind=planned.kind, params=params, guard=planned.guard,
            due_at=timing.due_at(planned.waits, event, customer, start),
        ))
    return rows


def _branch(action: ScheduledAction, name: str, start: datetime) -> None:
    plan = [plan_from_dict(item) for item in action.params.get(name, [])]
    schedule_plan(plan, rule=action.rule, firing=action.firing, customer=action.customer, event=action.event,
                  key_prefix=action.params["key_prefix"], start=start)


def resolve(event: StoreEvent, customer: Customer, action_ids: list[int]) -> int:
    """Resolve those of these pending awaits of the customer that wait for this event; returns how
    many it resolved."""
    resolved = 0
    pending = (ScheduledAction.objects.select_related("rule", "firing", "event")
               .filter(pk__in=action_ids, customer=customer, kind=KIND, status=ScheduledAction.Status.PENDING,
                       params__event=event.name)
               .exclude(event=event))
    for action in pending:
        started = action.due_at - timedelta(seconds=action.params["within"])
        if started <= event.occurred_at <= action.due_at and _about_this_run(event, action):
            action.customer = customer
            _branch(action, "on_event", event.occurred_at)
            ScheduledAction.objects.filter(pk=action.pk).update(
                status=ScheduledAction.Status.DONE, completed_at=event.occurred_at,
                outcome=f"{event.name} arrived on {event.occurred_at:%Y-%m-%d %H:%M}")
            resolved += 1
    return resolved


def _about_this_run(event: StoreEvent, action: ScheduledAction) -> bool:
    message = event.data.get("delivery")
    if not message or action.firing_id is None:
        return True
    sent = set(Delivery.objects.filter(action__firing_id=action.firing_id).values_list("idempotency_key", flat=True))
    return not sent or message in sent


def time_out(action: ScheduledAction, now: datetime) -> Outcome:
    """The await's time ran out: schedule ``on_timeout`` from then."""
    _branch(action, "on_timeout", action.due_at)
    return Outcome(DONE, note=f"no {action.params['event']} within {action.params['within'] / 86400:g} days",
                   at=action.due_at)
