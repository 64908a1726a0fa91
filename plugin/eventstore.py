"""The event store: every event enters here, is stored first and evaluated after commit.

Every source (Saleor webhooks and Django signals at intake, Masa's own timers in the action stage,
message feedback and ``message_sent`` from delivery) comes through ``store_events``. An event
already stored (same source and source id) is skipped, so retries change nothing. Once the
transaction commits, ``events_stored`` is sent with the new events' ids; the evaluation stage
listens to it (``tasks.enqueue_evaluation``, connected in ``MasaConfig.ready``), so nothing that
records an event imports evaluation.
"""
from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from .events import Identity, NormalizedEvent
from .models import Customer, Delivery, InboundDelivery, StoreEvent

__all__ = ["Identity", "NormalizedEvent", "events_stored", "record_message_event", "resolve_customer", "store_events"]

log = logging.getLogger(__name__)

# Sent after commit with ``event_ids``: the stored events, in order, to be evaluated.
events_stored = Signal()


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
            transaction.on_commit(lambda: events_stored.send(sender=StoreEvent, event_ids=event_ids))
    return stored


def record_message_event(delivery: Delivery, name: str, source_id: str, at=None, **data) -> None:
    """Store ``name`` (message_sent, message_opened, message_clicked, message_bounced,
    unsubscribed, survey_answered, list_joined) once per ``source_id`` for the delivery's
    customer, with the message's rule and template."""
    customer = delivery.customer
    rule = delivery.action.rule.rule_id if delivery.action and delivery.action.rule else ""
    store_events("masa", [NormalizedEvent(
        name, source_id, at or timezone.now(), Identity(store_id=customer.store_id, email=customer.email),
        {"delivery": delivery.idempotency_key, "template": delivery.template_key, "rule": rule, **data},
    )])


def _insert_unless_stored(row: StoreEvent) -> bool:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
        return True
    except IntegrityError:
        log.debug("Event %s:%s is already stored", row.source, row.source_id)
        return False
