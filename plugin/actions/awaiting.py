"""Waiting for an event with a timeout: ``wait: {event, within, on_event, on_timeout}``.

The wait is an ``await`` action due when the timeout ends; its two branches were compiled with
the rule and travel in its params. A matching event of the same customer inside the window
resolves it and schedules ``on_event`` from the event's time; reaching the timeout schedules
``on_timeout`` from then (both written by ``schedule``). Either way the await ends ``done`` with
its outcome on the timeline.

An event about a message (opened, clicked, answered…) answers only the waits of the rule run that
sent that message, when that run sent any: "not opened within 2 days" means *this* email.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ..events import REVERSALS
from ..models import Customer, Delivery, ScheduledAction, StoreEvent
from ..plans import plan_from_dict
from . import schedule
from .outcome import DONE, Outcome

KIND = schedule.AWAIT


def _branch(action: ScheduledAction, name: str, start: datetime, answer: StoreEvent | None = None) -> None:
    plan = [plan_from_dict(item) for item in action.params.get(name, [])]
    if answer is not None and answer.data.get("order_id") and answer.name not in REVERSALS:
        # Its changes belong to the answering order: taken back with it (``rules.takeback``).
        order = {"order_id": answer.data["order_id"], "number": str(answer.data.get("number") or ""),
                 "order_event": answer.name}
        plan = [replace(item, params={**item.params, **order}) if item.kind == "effect" else item for item in plan]
    schedule.schedule_plan(plan, rule=action.rule, firing=action.firing, customer=action.customer,
                           event=action.event, key_prefix=action.params["key_prefix"], start=start)


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
            _branch(action, "on_event", event.occurred_at, answer=event)
            schedule.complete(action, event.occurred_at, f"{event.name} arrived on {event.occurred_at:%Y-%m-%d %H:%M}",
                              answered_by=event.pk)
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
