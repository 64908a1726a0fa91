"""The evaluation stage's SQL, in one place. Per delivery (or batch of deliveries): the
customers' pending actions listed in one SELECT and the ``once`` scopes already fired in another;
at the end all firings in one INSERT (with what each set), all planned actions in one, and the
events marked evaluated in one statement per status. No savepoint per event or firing. The rest of ``rules`` speaks in plain objects. PostgreSQL is the
production database; the same statements run on SQLite (the demo) where its dialect differs."""
from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ..models import Customer, RuleFiring, ScheduledAction, StoreEvent
from ..sql import json_value, read_timestamp, timestamp

_FIRINGS = RuleFiring._meta.db_table
_ACTIONS = ScheduledAction._meta.db_table
_EVENTS = StoreEvent._meta.db_table
CLAIM_WINDOW = 4


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
    as_json = json_value()
    placeholders = ", ".join([f"(%s, %s, %s, %s, %s, %s, {as_json})"] * len(firings))
    values = [value for f in firings for value in (
        f.rule_id, f.rule_version, f.event_id, f.customer_id, timestamp(f.fired_at), f.scope_key,
        json.dumps(f.facts_set, cls=DjangoJSONEncoder))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_FIRINGS} (rule_id, rule_version, event_id, customer_id, fired_at, scope_key, facts_set) "
            f"VALUES {placeholders} ON CONFLICT (rule_id, scope_key) DO NOTHING RETURNING id, rule_id, scope_key",
            values,
        )
        ids = {(rule_pk, scope): pk for pk, rule_pk, scope in cursor.fetchall()}
    for firing in firings:
        firing.pk = ids.get((firing.rule_id, firing.scope_key))
        if firing.pk is None:
            raise RuntimeError(f"rule {firing.rule_id} fired in scope {firing.scope_key!r} already")


def pending_actions(customer_pks: set[int]) -> list[tuple]:
    """(id, customer id, kind, event id, event time, guard, awaited event, message class, rule id,
    due time) of these customers' pending actions: what an evaluation judges cancellations and
    awaits from, listed once per delivery (the customer/status index serves it)."""
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
    return [(pk, customer, kind, event, read_timestamp(at), json.loads(guard) if isinstance(guard, str) else guard,
             awaited_event, message_class, rule, read_timestamp(due))
            for pk, customer, kind, event, at, guard, awaited_event, message_class, rule, due in rows]


def insert_actions(rows: list[ScheduledAction]) -> None:
    """Planned actions in one INSERT, each row given its id; a key already scheduled is kept as it
    is (that row keeps no id). A row may already be cancelled (a later event of the same delivery
    voided it): it is written so, with its reason."""
    if not rows:
        return
    now = timestamp(timezone.now())
    values = [(r.idempotency_key, r.firing_id, r.rule_id, r.customer_id, r.event_id, r.step, r.path, r.kind,
               json.dumps(r.params, cls=DjangoJSONEncoder), json.dumps(r.guard, cls=DjangoJSONEncoder),
               timestamp(r.due_at), r.status, r.cancel_reason, timestamp(r.completed_at), r.voided_by_id, now, False)
              for r in rows]
    as_json = json_value()
    placeholders = ", ".join(
        [f"(%s, %s, %s, %s, %s, %s, %s, %s, {as_json}, {as_json}, %s, %s, %s, %s, %s, '', 0, '', %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_ACTIONS} (idempotency_key, firing_id, rule_id, customer_id, event_id, step, path, kind, params, "
            f"guard, due_at, status, cancel_reason, completed_at, voided_by_id, outcome, attempts, last_error, "
            f"created_at, held_out) VALUES {placeholders} ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
            [value for row in values for value in row],
        )
        ids = dict((key, pk) for pk, key in cursor.fetchall())
    for row in rows:
        row.pk = ids.get(row.idempotency_key)


def cancel_action(pk: int, reason: str, at: datetime, cause_pk: int) -> int:
    """Cancel one pending action a purchase has voided (``voided_by``: restored if that order is cancelled)."""
    return ScheduledAction.objects.filter(pk=pk, status=ScheduledAction.Status.PENDING).update(
        status=ScheduledAction.Status.CANCELLED, cancel_reason=reason, completed_at=at, voided_by_id=cause_pk)


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


def _json_literal(text: str) -> str:
    return f"'{text}'::jsonb" if connection.vendor == "postgresql" else f"'{text}'"
