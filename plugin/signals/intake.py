"""Store normalized events first, evaluate them after the transaction commits.

Every source (Saleor webhooks, Django signals, Masa's own timers) comes through ``store_events``.
An event already stored (same source and source id) is skipped, so retries change nothing.
"""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from ..models import Customer, InboundDelivery, StoreEvent
from .normalize import Identity, NormalizedEvent

log = logging.getLogger(__name__)


def resolve_customer(identity: Identity) -> Customer | None:
    """The customer this identity names, created on first sight; None when it names nobody."""
    if not identity.store_id and not identity.email:
        return None
    customer = None
    if identity.store_id:
        customer = Customer.objects.filter(store_id=identity.store_id).first()
    if customer is None and identity.email:
        customer = (
            Customer.objects.filter(email__iexact=identity.email)
            .order_by("store_id")
            .first()
        )
        if customer is not None and identity.store_id and not customer.store_id:
            customer.store_id = identity.store_id
            customer.save(update_fields=["store_id", "updated_at"])
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    store_id=identity.store_id or None,
                    email=identity.email,
                    first_name=identity.first_name,
                    last_name=identity.last_name,
                )
        except IntegrityError:
            customer = Customer.objects.get(store_id=identity.store_id)
    return customer


def store_events(
    source: str, events: list[NormalizedEvent], inbound: InboundDelivery | None = None
) -> list[StoreEvent]:
    """Store the events that are new; schedule their evaluation, in order, for after commit.

    The usual case (nothing stored yet) is one customer lookup per identity and one multi-row
    INSERT; if any event is already stored, each is inserted on its own and duplicates skipped.
    """
    customers: dict[Identity, Customer | None] = {}
    with transaction.atomic():
        rows = []
        for event in events:
            if event.identity not in customers:
                customers[event.identity] = resolve_customer(event.identity)
            rows.append(StoreEvent(source=source, source_id=event.source_id, name=event.name,
                                   customer=customers[event.identity], inbound=inbound,
                                   occurred_at=event.occurred_at, data=event.data))
        try:
            with transaction.atomic():
                stored = StoreEvent.objects.bulk_create(rows)
        except IntegrityError:
            stored = [row for row in rows if _insert_unless_stored(row)]
        event_ids = [event.pk for event in stored]
        if event_ids:
            transaction.on_commit(lambda: enqueue_evaluation(event_ids))
    return stored


def _insert_unless_stored(row: StoreEvent) -> bool:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
        return True
    except IntegrityError:
        log.debug("Event %s:%s is already stored", row.source, row.source_id)
        return False


def enqueue_evaluation(event_ids: list[int]) -> None:
    """Hand the events to a worker as one task, evaluated in order; if the broker is down the
    outbox sweep picks them up later."""
    from ..tasks import evaluate_events

    try:
        evaluate_events.delay(event_ids)
    except Exception:
        log.warning("Could not enqueue events %s; the outbox sweep will evaluate them", event_ids, exc_info=True)
