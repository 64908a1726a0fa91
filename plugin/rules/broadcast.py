"""Broadcasts: "to everyone in the rule's segment, now or at a date".

A broadcast rule triggers on ``broadcast`` (``trigger: {event: broadcast}``) and says who in its
conditions (``{segment: haifa}``). Starting a broadcast (the rule's admin page, or
``start_broadcast``) records a ``Broadcast``; the worker then reaches the shop's customers in
batches (``fan_out``), storing one ``broadcast`` event per customer. Each is evaluated like any
event: the rule's conditions pick the customers, and its steps become that customer's own
scheduled actions, counted from the broadcast's date — consent, caps, quiet hours and the rule's
checks are applied when each falls due. Nothing scans the customers at send time, and a
broadcast reached halfway resumes where it stopped (each customer's event is stored once).
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .. import consent
from ..actions import schedule
from ..values import listify
from ..eventstore import store_events
from ..events import Identity, NormalizedEvent
from ..models import Broadcast, Customer, Rule, ScheduledAction, StoreEvent
from .compiler import BROADCAST

BATCH = 500


class BroadcastError(ValueError):
    """A broadcast that cannot start; the message says why, in the admin's words."""


def start_broadcast(rule: Rule, send_at: datetime | None, by: str, now: datetime | None = None) -> Broadcast:
    """``now``: the clock's time (a scenario's rehearsal clock; the real time otherwise)."""
    if (rule.definition.get("trigger") or {}).get("event") != BROADCAST:
        raise BroadcastError("only a rule whose trigger is `{event: broadcast}` can be broadcast")
    if not (rule.enabled and rule.live):
        raise BroadcastError("turn the rule on and publish it before broadcasting it")
    now = now or timezone.now()
    return Broadcast.objects.create(rule=rule, send_at=max(send_at or now, now), created_by=by, created_at=now,
                                    customers_total=Customer.objects.count())


def fan_out(broadcast: Broadcast, batch: int = BATCH, now: datetime | None = None) -> int:
    """Reach the next ``batch`` customers of a broadcast; returns how many were reached (``now``:
    the clock's time, as ``start_broadcast``)."""
    now = now or timezone.now()
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if broadcast.status != Broadcast.Status.FANNING_OUT:
            return 0
        customers = list(Customer.objects.filter(pk__gt=broadcast.last_customer_id).order_by("pk")[:batch])
        needs = _consent_needed(broadcast.rule)
        reached = [c for c in customers if (c.store_id or c.email)
                   and (not needs or any(any(consent.given(c, kind) for kind in kinds) for kinds in needs))]
        if reached:  # the customers are in hand: their events need no lookup of who they are
            store_events("admin", [_event(broadcast, customer, now) for customer in reached],
                         known={Identity.of(customer): customer for customer in reached})
        broadcast.customers_done += len(customers)
        broadcast.customers_skipped += len(customers) - len(reached)
        if customers:
            broadcast.last_customer_id = customers[-1].pk
        if len(customers) < batch:
            broadcast.status, broadcast.finished_at = Broadcast.Status.SCHEDULED, now
            broadcast.customers_total = broadcast.customers_done
        broadcast.save()
    return len(customers)


def fan_out_due(batch: int = BATCH) -> int:
    """One batch of every broadcast still reaching customers (the worker's round calls this)."""
    return sum(fan_out(broadcast, batch) for broadcast in Broadcast.objects.filter(status=Broadcast.Status.FANNING_OUT))


def cancel_broadcast(broadcast: Broadcast, by: str) -> int:
    """Stop reaching customers and cancel every message of it not sent yet; returns how many."""
    with transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.CANCELLED, cancelled_by=by,
                                                         finished_at=timezone.now())
        return schedule.cancel(actions_of(broadcast), f"broadcast cancelled by {by}", timezone.now())


def actions_of(broadcast: Broadcast):
    return ScheduledAction.objects.filter(event__name=BROADCAST, event__source_id__startswith=f"{_key(broadcast)}:")


def progress(broadcast: Broadcast) -> dict:
    """What became of it: customers reached, and its actions by status (sent, waiting, cancelled…)."""
    counts = {status: 0 for status in ScheduledAction.Status.values}
    counts.update(actions_of(broadcast).order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    events = StoreEvent.objects.filter(name=BROADCAST, source_id__startswith=f"{_key(broadcast)}:")
    return {"reached": broadcast.customers_done, "total": broadcast.customers_total,
            "skipped": broadcast.customers_skipped, "events": events.count(),
            "waiting_evaluation": events.filter(status=StoreEvent.Status.RECEIVED).count(), "actions": counts}


def _consent_needed(rule: Rule) -> list[set[str]]:
    """The consent kinds each of the rule's sends needs (a broadcast's is marketing whatever its
    ``class`` says): the kind of the channel it goes through, or for ``channel: preferred`` any of
    its channels'. A customer is reached when one of its sends could go (the guard decides each
    when it falls due); a rule that sends nothing reaches everyone."""
    from .compiler import walk_steps

    needs = []
    for _, step in walk_steps(rule.definition.get("steps")):
        send = step.get("send")
        if not isinstance(send, dict):
            continue
        names = listify(send.get("channels")) if send.get("channel") == "preferred" else [send.get("channel") or "email"]
        needs.append({consent.kind_for_channel(consent.channel_kind(str(name))) for name in names or ["email"]})
    return needs


def _key(broadcast: Broadcast) -> str:
    return f"broadcast:{broadcast.pk}"


def _event(broadcast: Broadcast, customer: Customer, now: datetime) -> NormalizedEvent:
    return NormalizedEvent(
        BROADCAST, f"{_key(broadcast)}:{customer.pk}", now,
        Identity.of(customer),
        {"rule": broadcast.rule.rule_id, "broadcast": broadcast.pk, "send_at": broadcast.send_at.isoformat(),
         "by": broadcast.created_by},
    )
