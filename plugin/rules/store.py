"""The evaluation stage's SQL, in one place. Per delivery (or batch of deliveries): the
customers' pending actions listed in one SELECT (rows with names: ``PendingRow``) and the ``once``
scopes already fired in another; at the end all firings in one INSERT (with what each set) and the
events marked evaluated in one statement per status. The planned actions are written by the action
stage's one writer (``actions.schedule.write``). No savepoint per event or firing. The rest of
``rules`` speaks in plain objects. PostgreSQL is the production database; the same statements run
on SQLite (the demo) where its dialect differs. An INSERT's column list is the model's
(``sql.insert_shape``)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F, Q

from ..models import Customer, RuleFiring, ScheduledAction, StoreEvent
from ..sql import insert_shape, read_timestamp, timestamp

_FIRINGS = RuleFiring._meta.db_table
_ACTIONS = ScheduledAction._meta.db_table
_EVENTS = StoreEvent._meta.db_table
CLAIM_WINDOW = 4
_FIRING_COLUMNS = ("rule_id", "rule_version", "event_id", "customer_id", "fired_at", "scope_key", "facts_set")


class PendingRow(NamedTuple):
    """A pending action as ``pending_actions`` lists it (the SELECT's columns, in this order)."""

    pk: int
    customer_id: int
    kind: str
    event_id: int
    occurred_at: datetime       # the event's
    guard: list
    awaited: str | None         # params.event: what an await waits for
    message_class: str | None   # params.class: marketing unless it says otherwise
    rule_id: int | None
    due_at: datetime


def claim_waiting_events(limit: int) -> list[int]:
    """Ids of up to ``limit`` waiting events, oldest first, of customers this transaction has just
    locked (``FOR UPDATE SKIP LOCKED``): another worker's customers are left to it, so workers never
    wait on each other and each customer's events are evaluated in order by one of them. Events
    that name no customer come along (they are only marked ignored)."""
    waiting = StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED)
    # The oldest waiting events' customers; a window wider than one batch, so a second worker
    # finds customers the first has not taken.
    candidates = set(waiting.order_by("pk").values_list("customer_id", flat=True)[:limit * CLAIM_WINDOW])
    locked = set(Customer.objects.select_for_update(skip_locked=True).filter(pk__in=candidates - {None})
                 .order_by("pk").values_list("pk", flat=True)[:limit])
    if not locked and None not in candidates:
        return []
    mine = waiting.filter(Q(customer_id__in=locked) | Q(customer__isnull=True))
    return list(mine.order_by("pk").values_list("pk", flat=True)[:limit])


def fired_scopes(rule_pks: set[int], scope_keys: set[str]) -> set[tuple[int, str]]:
    """Which of these (rule, scope) pairs already fired: the ``once`` scopes (a customer, an order,
    a product) a delivery's events could fire in, asked once for the delivery (served by the unique
    (rule, scope) index)."""
    if not rule_pks or not scope_keys:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rule_id, scope_key FROM {_FIRINGS} WHERE {_in('rule_id', rule_pks)} AND {_in('scope_key', scope_keys)}",
            [*rule_pks, *scope_keys],
        )
        return set(cursor.fetchall())


def insert_firings(firings: list[RuleFiring]) -> None:
    """A delivery's firings (unsaved, ``facts_set`` filled) in one INSERT; each gets its id.

    The evaluation has already judged the ``once`` scopes (``fired_scopes``) under the customer's
    lock, so a conflict means the rules' bookkeeping is wrong: it is raised, not skipped, and the
    event fails visibly instead of applying its effects twice."""
    if not firings:
        return
    shape = insert_shape(RuleFiring, _FIRING_COLUMNS)
    values = [(f.rule_id, f.rule_version, f.event_id, f.customer_id, timestamp(f.fired_at), f.scope_key,
               json.dumps(f.facts_set, cls=DjangoJSONEncoder)) for f in firings]
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(len(firings), "ON CONFLICT (rule_id, scope_key) DO NOTHING RETURNING id, rule_id, scope_key"),
                       shape.params(values))
        ids = {(rule_pk, scope): pk for pk, rule_pk, scope in cursor.fetchall()}
    for firing in firings:
        firing.pk = ids.get((firing.rule_id, firing.scope_key))
        if firing.pk is None:
            raise RuntimeError(f"rule {firing.rule_id} fired in scope {firing.scope_key!r} already")


def pending_actions(customer_pks: set[int]) -> list[PendingRow]:
    """These customers' pending actions as an evaluation judges cancellations and awaits from
    them, listed once per delivery (the customer/status index serves it)."""
    if not customer_pks:
        return []
    awaited, message_class = (("a.params ->> 'event'", "a.params ->> 'class'") if connection.vendor == "postgresql"
                              else ("json_extract(a.params, '$.event')", "json_extract(a.params, '$.class')"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.customer_id, a.kind, a.event_id, e.occurred_at, a.guard, {awaited}, {message_class}, "
            f"a.rule_id, a.due_at FROM {_ACTIONS} a JOIN {_EVENTS} e ON e.id = a.event_id "
            f"WHERE {_in('a.customer_id', customer_pks)} AND a.status = %s ORDER BY a.due_at, a.id",
            [*customer_pks, ScheduledAction.Status.PENDING],
        )
        rows = cursor.fetchall()
    return [PendingRow(pk, customer, kind, event, read_timestamp(at), json.loads(guard) if isinstance(guard, str) else guard,
                       awaited_event, message_class, rule, read_timestamp(due))
            for pk, customer, kind, event, at, guard, awaited_event, message_class, rule, due in rows]


def mark_evaluated(outcomes: dict[int, tuple[str, str]], at: datetime) -> None:
    """Each event's status and error (event id → (status, error)), one UPDATE per distinct outcome."""
    groups: dict[tuple[str, str], list[int]] = {}
    for pk, outcome in outcomes.items():
        groups.setdefault(outcome, []).append(pk)
    for (status, error), ids in groups.items():
        StoreEvent.objects.filter(pk__in=ids).update(status=status, error=error, processed_at=at,
                                                     attempts=F("attempts") + 1)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"

