"""The intake's storage: a verified delivery is one INSERT of its raw body and headers, and the
worker reads what waits. The SQL of intake's hot path is here; the rest of ``signals`` speaks in
plain values.

``store`` is ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``: no savepoint, no
exception on a repeat, and a delivery seen before (the same store, event and exact body) answers
None (PostgreSQL and SQLite ≥ 3.35 both take it). ``claim`` takes waiting rows with ``FOR UPDATE
SKIP LOCKED``, so workers never read one twice; the partial index ``masa_inbound_received``
keeps it cheap however long the log grows.
"""
from __future__ import annotations

import json
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from .. import metrics
from ..models import InboundDelivery
from ..sql import insert_shape, timestamp

RECEIVED = InboundDelivery.Status.RECEIVED
_STORED = ("source", "event_type", "domain", "status", "dedupe_key", "headers", "body", "remote_addr", "received_at")


def store(*, event_type: str, domain: str, dedupe_key: str, headers: dict, body: str, remote_addr: str | None,
          source: str = "saleor") -> int | None:
    """The new row's id, or None when this delivery is stored already. The columns not given here
    are written with the model's defaults (``sql.insert_shape``). ``source``: who sent it (saleor,
    whatsapp), which says how the worker reads it."""
    shape = insert_shape(InboundDelivery, _STORED)
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(1, "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"), shape.params([(
            source, event_type, domain, RECEIVED, dedupe_key, json.dumps(headers), body, remote_addr,
            timestamp(timezone.now()))]))
        row = cursor.fetchone()
    metrics.webhook_received(source, stored=row is not None)
    return row[0] if row else None


class Waiting(NamedTuple):
    """A stored delivery waiting to be read."""

    pk: int
    event_type: str
    domain: str
    body: str
    source: str


def claim(limit: int, ids: list[int] | None = None) -> list[Waiting]:
    """Up to ``limit`` waiting deliveries, oldest first, locked for this transaction (``ids``: only
    these)."""
    waiting = InboundDelivery.objects.select_for_update(skip_locked=True).filter(status=RECEIVED)
    if ids is not None:
        waiting = waiting.filter(pk__in=ids)
    rows = waiting.order_by("pk").values_list("pk", "event_type", "domain", "body", "source")[:limit]
    return [Waiting(*row) for row in rows]


def blank(pk: int, reason: str) -> None:
    """Forget a stored delivery's body and headers, keeping why (its customer was deleted)."""
    InboundDelivery.objects.filter(pk=pk).update(body="", headers={}, remote_addr=None, reason=reason[:2000])


def finish(accepted: list[int], failed: dict[int, str], notes: dict[int, str] | None = None) -> None:
    """Mark deliveries read: their events stored (``notes``: what reading one found, e.g. that its
    object was gone), or failed with the reason."""
    if accepted:
        InboundDelivery.objects.filter(pk__in=accepted).update(status=InboundDelivery.Status.ACCEPTED)
    for pk, note in (notes or {}).items():
        InboundDelivery.objects.filter(pk=pk).update(reason=note[:2000])
    for pk, reason in failed.items():
        InboundDelivery.objects.filter(pk=pk).update(status=InboundDelivery.Status.FAILED, reason=reason[:2000])
