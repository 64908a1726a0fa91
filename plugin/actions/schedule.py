"""The one writer of scheduled actions: every action Masa plans is created here, and every change
the evaluation, a reversal, a cart, a split's winner or a cancelled broadcast makes to pending ones.

- ``plan_rows`` turns a compiled plan into unsaved rows (idempotency key: rule, scope and step
  path; due times from ``timing``; a branch the customer is not on is left out);
- ``write`` creates rows in one set-based statement, ``INSERT … ON CONFLICT (idempotency_key) DO
  NOTHING RETURNING id``, its column list the model's (``sql.insert_shape``): each row gets its id,
  and a key scheduled before keeps its row as it is (this one gets none). A row may be written
  cancelled already (a later event of the same delivery voided it), with its reason;
- ``schedule_plan`` is both (an await's branch); ``write_claimed`` one action staff perform at
  once (a personal message); ``cancel``, ``restore``, ``move`` and ``complete``
  change pending actions.

The evaluation (``rules.batch``) collects its rows and writes them with ``write`` at the end of a
transaction, so any code that reads or writes actions in the database during an evaluation runs
inside ``Batch.in_database`` (the ordering rule, docs/architecture.md). What the sweep records on
an action it performs (claimed, done, failed, deferred, retried) stays in ``due``; staff's own
changes (cancel one pending action, retry the failed ones, a rule switched off) stay with their pages.
"""
from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import QuerySet

from ..models import Customer, Rule, RuleFiring, ScheduledAction, StoreEvent
from ..plans import PlannedAction
from ..sql import insert_shape, timestamp
from . import timing
from .guards import in_own_branch

Status = ScheduledAction.Status
AWAIT = "await"  # awaiting.KIND: an await carries its run's key prefix, for its branches
# What each row gives; every other column of the model is written with its default.
_GIVEN = ("idempotency_key", "firing_id", "rule_id", "customer_id", "event_id", "step", "path", "kind", "params",
          "guard", "due_at", "status", "cancel_reason", "completed_at", "voided_by_id")


def plan_rows(plan: list[PlannedAction], *, rule: Rule, firing: RuleFiring | None, customer: Customer,
              event: StoreEvent, key_prefix: str, start: datetime | None = None) -> list[ScheduledAction]:
    """The scheduled actions of a plan, not written yet (an evaluation writes all of a delivery's at once)."""
    rows = []
    for planned in plan:
        if not in_own_branch(planned.guard, rule, customer):
            continue
        params = {**planned.params, "key_prefix": key_prefix} if planned.kind == AWAIT else planned.params
        rows.append(ScheduledAction(
            idempotency_key=f"{key_prefix}:{planned.key}", firing=firing, rule=rule, customer=customer,
            event=event, step=planned.step, path=planned.key, kind=planned.kind, params=params, guard=planned.guard,
            due_at=timing.due_at(planned.waits, event, customer, start),
        ))
    return rows


def write(rows: list[ScheduledAction]) -> None:
    """Create these actions in one INSERT, each row given its id; a key already scheduled (or
    twice among the rows) is kept as it was first written, and the later row gets no id."""
    if not rows:
        return
    shape = insert_shape(ScheduledAction, _GIVEN)
    values = [(r.idempotency_key, r.firing_id, r.rule_id, r.customer_id, r.event_id, r.step, r.path, r.kind,
               json.dumps(r.params, cls=DjangoJSONEncoder), json.dumps(r.guard, cls=DjangoJSONEncoder),
               timestamp(r.due_at), r.status, r.cancel_reason, timestamp(r.completed_at), r.voided_by_id)
              for r in rows]
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(len(rows), "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key"),
                       shape.params(values))
        ids = {key: pk for pk, key in cursor.fetchall()}
    for row in rows:
        row.pk = ids.pop(row.idempotency_key, None)


def write_claimed(row: ScheduledAction, at: datetime) -> ScheduledAction:
    """An action staff have performed at once (a personal message): written already claimed, for
    ``due.dispatch`` to perform now, with every check a send has."""
    row.status = Status.CLAIMED
    write([row])
    ScheduledAction.objects.filter(pk=row.pk).update(claimed_at=at)
    return row


def schedule_plan(plan: list[PlannedAction], *, rule: Rule, firing: RuleFiring | None, customer: Customer,
                  event: StoreEvent, key_prefix: str, start: datetime | None = None) -> list[ScheduledAction]:
    """Create a plan's actions now (``plan_rows`` then ``write``); returns the rows."""
    rows = plan_rows(plan, rule=rule, firing=firing, customer=customer, event=event, key_prefix=key_prefix, start=start)
    write(rows)
    return rows


def cancel(actions: QuerySet, reason: str, at: datetime, voided_by: int | None = None) -> int:
    """Cancel those of these actions still pending, with the reason (``voided_by``: the purchase
    that voided them, which restores them if its order is taken back); returns how many."""
    voided = {"voided_by_id": voided_by} if voided_by is not None else {}
    return actions.filter(status=Status.PENDING).update(status=Status.CANCELLED, cancel_reason=reason,
                                                        completed_at=at, **voided)


def restore(actions: QuerySet, outcome: str) -> int:
    """Make these cancelled actions pending again, due when they were due; returns how many."""
    return actions.filter(status=Status.CANCELLED).update(status=Status.PENDING, cancel_reason="", completed_at=None,
                                                          voided_by=None, outcome=outcome)


def move(actions: QuerySet, event: StoreEvent, due_at: datetime) -> int:
    """Count these pending actions from a newer event (a cart's debounce); returns how many."""
    return actions.filter(status=Status.PENDING).update(event=event, due_at=due_at)


def complete(action: ScheduledAction, at: datetime, outcome: str, answered_by: int | None = None) -> None:
    """A pending action ended without being performed (an await answered by its event, kept in
    ``voided_by``: the await waits again if that event's order is taken back)."""
    ScheduledAction.objects.filter(pk=action.pk).update(status=Status.DONE, completed_at=at, outcome=outcome,
                                                        voided_by_id=answered_by)


def wait_again(action: ScheduledAction, outcome: str, key_prefix: str) -> None:
    """An await answered by an order that was taken back waits again, due when it was due; its
    next answer's branch is keyed anew (``key_prefix``)."""
    ScheduledAction.objects.filter(pk=action.pk, status=Status.DONE).update(
        status=Status.PENDING, completed_at=None, voided_by=None, outcome=outcome,
        params={**action.params, "key_prefix": key_prefix})
