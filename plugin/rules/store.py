"""The evaluation stage's SQL, in one place: firings recorded by ``INSERT … ON CONFLICT DO
NOTHING RETURNING`` (no savepoint per firing, a scope already fired answers None), an event's
planned actions in one INSERT, the customer's pending actions in one narrow SELECT, what each
firing set written once per delivery, and the delivery's events marked evaluated in one
statement per status. The rest of ``rules`` speaks in plain objects. PostgreSQL is the
production database; the same statements run on SQLite (the demo) where its dialect differs."""
from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ..models import Customer, RuleFiring, ScheduledAction, StoreEvent

_FIRINGS = RuleFiring._meta.db_table
_ACTIONS = ScheduledAction._meta.db_table
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


def insert_firing(*, rule_pk: int, rule_version: int, event_pk: int, customer_pk: int, scope_key: str,
                  fired_at: datetime) -> int | None:
    """The new firing's id, or None when the rule already fired in this scope (``once``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_FIRINGS} (rule_id, rule_version, event_id, customer_id, fired_at, scope_key, facts_set) "
            f"VALUES (%s, %s, %s, %s, %s, %s, {_json_literal('{}')}) "
            f"ON CONFLICT (rule_id, scope_key) DO NOTHING RETURNING id",
            [rule_pk, rule_version, event_pk, customer_pk, fired_at, scope_key],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def pending_actions(customer_pk: int) -> list[tuple[int, str, int, list, str | None]]:
    """(id, kind, event id, guard, awaited event) of the customer's pending actions: what an
    evaluation judges cancellations and awaits from (served by the customer/status index)."""
    awaited = "params ->> 'event'" if connection.vendor == "postgresql" else "json_extract(params, '$.event')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, event_id, guard, {awaited} FROM {_ACTIONS} "
            f"WHERE customer_id = %s AND status = %s ORDER BY due_at, id",
            [customer_pk, ScheduledAction.Status.PENDING],
        )
        return [(pk, kind, event_id, json.loads(guard) if isinstance(guard, str) else guard, event)
                for pk, kind, event_id, guard, event in cursor.fetchall()]


def insert_actions(rows: list[ScheduledAction]) -> None:
    """An event's planned actions in one INSERT; a key already scheduled is kept as it is."""
    if not rows:
        return
    now = timezone.now()
    values = [(r.idempotency_key, r.firing_id, r.rule_id, r.customer_id, r.event_id, r.step, r.kind,
               json.dumps(r.params, cls=DjangoJSONEncoder), json.dumps(r.guard, cls=DjangoJSONEncoder), r.due_at, now)
              for r in rows]
    json_value = _json_value()
    placeholders = ", ".join([f"(%s, %s, %s, %s, %s, %s, %s, {json_value}, {json_value}, %s, 'pending', '', '', 0, '', %s)"]
                             * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_ACTIONS} (idempotency_key, firing_id, rule_id, customer_id, event_id, step, kind, params, "
            f"guard, due_at, status, cancel_reason, outcome, attempts, last_error, created_at) VALUES {placeholders} "
            f"ON CONFLICT (idempotency_key) DO NOTHING",
            [value for row in values for value in row],
        )


def record_facts_set(facts_set: dict[int, dict]) -> None:
    """What each firing set (firing id → {fact: value}), in one UPDATE on PostgreSQL."""
    if not facts_set:
        return
    if connection.vendor != "postgresql":
        for pk, values in facts_set.items():
            RuleFiring.objects.filter(pk=pk).update(facts_set=values)
        return
    ids = list(facts_set)
    values = [json.dumps(facts_set[pk], cls=DjangoJSONEncoder) for pk in ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_FIRINGS} AS f SET facts_set = v.facts::jsonb "
            f"FROM unnest(%s::bigint[], %s::text[]) AS v(id, facts) WHERE f.id = v.id",
            [ids, values],
        )


def mark_evaluated(outcomes: dict[int, tuple[str, str]], at: datetime) -> None:
    """Each event's status and error (event id → (status, error)), one UPDATE per distinct outcome."""
    groups: dict[tuple[str, str], list[int]] = {}
    for pk, outcome in outcomes.items():
        groups.setdefault(outcome, []).append(pk)
    for (status, error), ids in groups.items():
        StoreEvent.objects.filter(pk__in=ids).update(status=status, error=error, processed_at=at,
                                                     attempts=F("attempts") + 1)


def _json_value() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def _json_literal(text: str) -> str:
    return f"'{text}'::jsonb" if connection.vendor == "postgresql" else f"'{text}'"
