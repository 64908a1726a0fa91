"""The evaluation stage's SQL, in one place: firings recorded by ``INSERT … ON CONFLICT DO
NOTHING RETURNING`` (no savepoint per firing, a scope already fired answers None), what each
firing set written once per delivery, and the delivery's events marked evaluated in one
statement per status. The rest of ``rules`` speaks in plain objects."""
from __future__ import annotations

import json
from datetime import datetime

from django.db import connection

from ..models import RuleFiring, StoreEvent

_FIRINGS = RuleFiring._meta.db_table
_EVENTS = StoreEvent._meta.db_table


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
