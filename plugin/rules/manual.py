"""Rules started by staff: for one customer now, or as a backfill over past events.

Both go the one way data flows: a ``manual_trigger`` event is stored and evaluated like any other,
so firings are recorded, ``once`` scopes hold, and sends are re-checked when due.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from ..models import Customer, Rule, RuleFiring, StoreEvent
from ..eventstore import store_events
from ..events import Identity, NormalizedEvent
from .evaluate import MANUAL_TRIGGER


def _identity(customer: Customer) -> Identity:
    return Identity.of(customer)


def trigger_by_hand(customer: Customer, rule: Rule, by: str) -> StoreEvent | None:
    """Run ``rule``'s steps for ``customer`` from now, whatever its trigger and conditions."""
    stored = store_events("admin", [NormalizedEvent(
        MANUAL_TRIGGER, f"manual:{uuid.uuid4()}", timezone.now(), _identity(customer),
        {"rule": rule.rule_id, "by": by},
    )])
    return stored[0] if stored else None


@dataclass(frozen=True)
class BackfillItem:
    event: StoreEvent
    customer: Customer


def backfill_candidates(rule: Rule, event_ids) -> list[BackfillItem]:
    """The stored events (of those a simulation found) this rule has neither fired on nor been backfilled for."""
    event_ids = set(event_ids)
    fired = set(RuleFiring.objects.filter(rule=rule, event_id__in=event_ids).values_list("event_id", flat=True))
    fired |= set(StoreEvent.objects.filter(name=MANUAL_TRIGGER, data__rule=rule.rule_id)
                 .exclude(data__backfill_of=None).values_list("data__backfill_of", flat=True))
    events = StoreEvent.objects.select_related("customer").filter(pk__in=event_ids - fired,
                                                                   customer__isnull=False)
    return [BackfillItem(event, event.customer) for event in events.order_by("occurred_at", "pk")]


def backfill(rule: Rule, items: list[BackfillItem], by: str) -> int:
    """Fire ``rule`` for each past event as if it had been live then; waits count from the event.

    Each (rule version, event) is stored once, so confirming twice schedules nothing more.
    """
    events = [NormalizedEvent(
        MANUAL_TRIGGER, f"backfill:{rule.rule_id}:v{rule.version}:{item.event.pk}", item.event.occurred_at,
        _identity(item.customer), {**item.event.data, "rule": rule.rule_id, "backfill_of": item.event.pk, "by": by},
    ) for item in items]
    return len(store_events("admin", events)) if events else 0
