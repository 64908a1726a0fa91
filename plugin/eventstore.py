"""The event store: every event enters here, is stored first and evaluated after commit.

Every source (Saleor webhooks and Django signals at intake, Masa's own timers in the action stage,
message feedback and ``message_sent`` from delivery) comes through ``store_events``. An event
already stored (same source and source id) is skipped, so retries change nothing. Once the
transaction commits, ``events_stored`` is sent with the new events' ids; the evaluation stage
listens to it (``tasks.enqueue_evaluation``, connected in ``MasaConfig.ready``), so nothing that
records an event imports evaluation.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from . import consent
from .events import Identity, NormalizedEvent
from .models import Customer, DeletedStoreCustomer, Delivery, InboundDelivery, StoreEvent
from .sql import insert_shape, timestamp
from .stores import store_key

__all__ = ["Identity", "NormalizedEvent", "events_stored", "message_event", "record_message_event", "resolve_customer",
           "store_events"]

log = logging.getLogger(__name__)

# Sent after commit with ``event_ids``: the stored events, in order, to be evaluated.
events_stored = Signal()


class DeletedCustomer(Exception):
    """The identity names a customer their store deleted (``CUSTOMER_DELETED``): a delivery Saleor
    built before the deletion must not bring them back. Raised before anything is written."""


def resolve_customer(identity: Identity) -> Customer | None:
    """The customer this identity names in its store, created on first sight; None when it names
    nobody.

    One SELECT finds the customer of that store by store id or, failing that, by e-mail (any case;
    the index ``masa_customer_email_upper`` serves it); only a new customer costs more. Another
    store's customer with the same id or e-mail is never found: a customer is (store, store id).
    A guest found by e-mail who now has an account becomes that account's customer, but consent
    the guest gave in checkout or order metadata is not the account's (``consent.adopted``)."""
    if not identity.store_id and not identity.email:
        return None
    match = Q(store_id=identity.store_id) if identity.store_id else Q()
    if identity.email:
        match |= Q(email__iexact=identity.email)
    found = list(Customer.objects.filter(match, store=identity.store).order_by("store_id")[:3])
    customer = next((c for c in found if identity.store_id and c.store_id == identity.store_id), None)
    if customer is None:
        customer = next((c for c in found if identity.email and c.email.lower() == identity.email.lower()
                         and not (identity.store_id and c.store_id)), None)
        if customer is not None and identity.store_id and not customer.store_id:
            customer.store_id = identity.store_id
            changed = consent.adopted(customer)
            customer.save(update_fields=["store_id", "updated_at", *changed])
    if customer is None and identity.store_id and DeletedStoreCustomer.objects.filter(
            store=identity.store, store_id_digest=DeletedStoreCustomer.digest(identity.store_id)).exists():
        raise DeletedCustomer(f"{identity.store}: {identity.store_id} was deleted in the store")
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    store=identity.store,
                    store_id=identity.store_id or None,
                    email=identity.email,
                    first_name=identity.first_name,
                    last_name=identity.last_name,
                )
        except IntegrityError:
            customer = Customer.objects.get(store=identity.store, store_id=identity.store_id)
    return customer


def store_events(
    source: str, events: list[NormalizedEvent], inbound: InboundDelivery | None = None, store: str | None = None,
    known: dict[Identity, Customer] | None = None,
) -> list[StoreEvent]:
    """Store the events that are new; schedule their evaluation, in order, for after commit.

    One customer lookup per identity and one ``INSERT … ON CONFLICT DO NOTHING RETURNING``: an
    event already stored (same source and source id) is skipped without a savepoint or an error.
    ``store``: the store a webhook was verified for; its events name that store's customers and
    their source ids are the store's own (``shop.example.com/order_placed:…``), so two stores'
    ``User:1`` or ``customer_created:User:1`` never meet. ``known``: stored customers the caller has
    read already, by ``Identity.of`` (a batch of sends' ``message_sent``), not looked up again.
    """
    if store is not None:
        events = [replace(event, identity=replace(event.identity, store=store_key(store)),
                          source_id=f"{store_key(store)}/{event.source_id}") for event in events]
    customers: dict[Identity, Customer | None] = dict(known or {}) if store is None else {}
    for event in events:  # before the block: a DeletedCustomer leaves the caller's transaction usable
        if event.identity not in customers:
            customers[event.identity] = resolve_customer(event.identity)
    with transaction.atomic(savepoint=False):
        rows = []
        for event in events:
            rows.append(StoreEvent(source=source, source_id=event.source_id, name=event.name,
                                   customer=customers[event.identity], inbound=inbound,
                                   occurred_at=event.occurred_at, data=event.data))
        stored = _insert_new(rows)
        event_ids = [event.pk for event in stored]
        if event_ids:
            transaction.on_commit(lambda: events_stored.send(sender=StoreEvent, event_ids=event_ids))
    return stored


def record_message_event(delivery: Delivery, name: str, source_id: str, at=None,
                         inbound: InboundDelivery | None = None, **data) -> None:
    """Store ``name`` (message_sent, message_opened, message_clicked, message_bounced,
    unsubscribed, survey_answered, list_joined) once per ``source_id`` for the delivery's
    customer, with the message's rule, template and channel kind (an unsubscribe withdraws that
    kind's consent only); ``inbound``: the stored webhook that said so."""
    rule = delivery.action.rule.rule_id if delivery.action and delivery.action.rule else ""
    kind = delivery.channel.kind if delivery.channel_id else ""
    store_events("masa", [message_event(delivery, name, source_id, at or timezone.now(), delivery.customer, rule, kind,
                                        **data)], inbound=inbound)


def message_event(delivery: Delivery, name: str, source_id: str, at, customer: Customer, rule: str, channel_kind: str,
                  **data) -> NormalizedEvent:
    """The event ``record_message_event`` stores, for a caller that has the customer, the rule's id
    and the channel's kind in hand (a batch of sends stores theirs in one call)."""
    return NormalizedEvent(name, source_id, at, Identity.of(customer),
                           {"delivery": delivery.idempotency_key, "template": delivery.template_key, "rule": rule,
                            "channel": channel_kind, **data})


def _insert_new(rows: list[StoreEvent]) -> list[StoreEvent]:
    """Insert the rows not stored yet, in one statement; returns them with their ids, in order."""
    if not rows:
        return []
    now = timezone.now()
    # The columns given; every other column of the model is written with its default (sql.insert_shape).
    shape = insert_shape(StoreEvent, ("source", "source_id", "name", "customer_id", "inbound_id", "occurred_at",
                                      "received_at", "data", "status"))
    values = [(row.source, row.source_id, row.name, row.customer_id, row.inbound_id, timestamp(row.occurred_at),
               timestamp(now), json.dumps(row.data, cls=DjangoJSONEncoder), StoreEvent.Status.RECEIVED)
              for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(len(rows), "ON CONFLICT (source, source_id) DO NOTHING RETURNING id, source_id"),
                       shape.params(values))
        ids = dict((source_id, pk) for pk, source_id in cursor.fetchall())
    stored = []
    for row in rows:
        if row.source_id in ids:
            row.pk, row.received_at, row.status, row.attempts = ids[row.source_id], now, StoreEvent.Status.RECEIVED, 0
            row._state.adding = False
            stored.append(row)
        else:
            log.debug("Event %s:%s is already stored", row.source, row.source_id)
    return stored
