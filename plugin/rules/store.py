"""The evaluation stage's SQL, in one place: firings recorded by ``INSERT … ON CONFLICT DO
NOTHING RETURNING`` (no savepoint per firing, a scope already fired answers None), what each
firing set written once per delivery, and the delivery's events marked evaluated in one
statement per status. The rest of ``rules`` speaks in plain objects."""
from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from ..models import RuleFiring, ScheduledAction, StoreEvent

_FIRINGS = RuleFiring._meta.db_table
_EVENTS = StoreEvent._meta.db_table
_ACTIONS = ScheduledAction._meta.db_table


def pending_actions(customer_pk: int) -> list[tuple[int, str, int, list, str | None]]:
    """(id, kind, event id, guard, awaited event) of the customer's pending actions: what an
    evaluation judges cancellations and awaits from (served by the customer/status index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, event_id, guard, params ->> 'event' FROM {_ACTIONS} "
            f"WHERE customer_id = %s AND status = %s ORDER BY due_at, id",
            [customer_pk, ScheduledAction.Status.PENDING],
        )
        return [(pk, kind, event_id, json.loads(guard) if isinstance(guard, str) else guard, awaited)
                for pk, kind, event_id, guard, awaited in cursor.fetchall()]


def insert_firing(*, rule_pk: int, rule_version: int, event_pk: int, customer_pk: int, scope_key: str,
                  fired_at: datetime) -> int | None:
    """The new firing's id, or None when the rule already fired in this scope (``once``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_FIRINGS} (rule_id, rule_version, event_id, customer_id, fired_at, scope_key, facts_set) "
            f"VALUES (%s, %s, %s, %s, %s, %s, '{{}}'::jsonb) ON CONFLICT (rule_id, scope_key) DO NOTHING RETURNING id",
            [rule_pk, rule_version, event_pk, customer_pk, fired_at, scope_key],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def insert_actions(rows: list[ScheduledAction]) -> None:
    """An event's planned actions in one INSERT; a key already scheduled is kept as it is."""
    if not rows:
        return
    now = timezone.now()
    values = [(r.idempotency_key, r.firing_id, r.rule_id, r.customer_id, r.event_id, r.step, r.kind,
               json.dumps(r.params, cls=DjangoJSONEncoder), json.dumps(r.guard, cls=DjangoJSONEncoder), r.due_at, now)
              for r in rows]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, 'pending', '', '', 0, '', %s)"]
                             * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_ACTIONS} (idempotency_key, firing_id, rule_id, customer_id, event_id, step, kind, params, "
            f"guard, due_at, status, cancel_reason, outcome, attempts, last_error, created_at) VALUES {placeholders} "
            f"ON CONFLICT (idempotency_key) DO NOTHING",
            [value for row in values for value in row],
        )


def record_facts_set(facts_set: dict[int, dict]) -> None:
    """What each firing set (firing id → {fact: value}), in one UPDATE."""
    if not facts_set:
        return
    ids = list(facts_set)
    values = [json.dumps(facts_set[pk], default=str) for pk in ids]
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
    with connection.cursor() as cursor:
        for (status, error), ids in groups.items():
            cursor.execute(
                f"UPDATE {_EVENTS} SET status = %s, error = %s, processed_at = %s, attempts = attempts + 1 "
                f"WHERE id = ANY(%s)",
                [status, error, at, ids],
            )
