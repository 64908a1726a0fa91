"""Reading stored deliveries: each verified webhook body, stored as received at intake
(``inbox``), is normalized and its events stored (customers resolved) by the worker (a WhatsApp
body by ``whatsapp_events``, an SMS reply by ``sms_events``: ``READERS``, by its source) — so a
webhook is answered after one INSERT, and nothing it carries is lost if reading it fails: the
delivery is marked failed with the reason and shown under *Needs attention*.

``inbound_stored`` is sent after a delivery is stored; with Celery running eagerly (tests, the
demo) its receiver reads it at once; otherwise ``masa_worker`` (or the ``masa.read_inbound``
beat task) polls for waiting rows.
"""
from __future__ import annotations

import json
import logging

from django.db import DataError, IntegrityError, InterfaceError, OperationalError, transaction
from django.dispatch import Signal

from ..eventstore import DeletedCustomer, store_events
from ..models import Customer, DeletedStoreCustomer, InboundDelivery
from ..privacy import erase_customer
from ..stores import store_key
from . import inbox, normalize, sms_events, whatsapp_events

log = logging.getLogger(__name__)

# Sent after commit with ``inbound_ids``: deliveries stored and waiting to be read.
inbound_stored = Signal()
# Sources read by their own module (``parse``, ``Unreadable``, ``apply``) rather than as Saleor's.
READERS = {whatsapp_events.SOURCE: whatsapp_events, sms_events.SOURCE: sms_events}
# What reading one delivery can fail with, short of the database being gone (a body of a shape no
# reader expected, a value no column takes): that delivery fails alone, with the reason, body kept.
ROW_ERRORS = (DataError, IntegrityError, TypeError, AttributeError, ValueError, KeyError)


def read(limit: int = 200, ids: list[int] | None = None) -> int:
    """Normalize and store the events of up to ``limit`` waiting deliveries; returns how many were
    read. They are stored together; if that fails, one at a time, so a delivery whose events
    cannot be stored (``ROW_ERRORS``) fails alone, with the reason."""
    try:
        return _read(limit, ids, one_at_a_time=False)
    except (OperationalError, InterfaceError):
        raise
    except ROW_ERRORS:
        return _read(limit, ids, one_at_a_time=True)


def _read(limit: int, ids: list[int] | None, one_at_a_time: bool) -> int:
    with transaction.atomic():
        rows = inbox.claim(limit, ids)
        accepted, failed, notes, parsed, readings = [], {}, {}, [], []
        for row in rows:
            reader = READERS.get(row.source)
            if reader is not None:
                try:
                    readings.append((row, reader, reader.parse(row.event_type, row.body)))
                except (reader.Unreadable, TypeError, AttributeError, ValueError, KeyError) as error:
                    failed[row.pk] = _failure(row.pk, error)
                continue
            try:
                payload = json.loads(row.body)
                parsed.append((row, payload, normalize.normalize(row.event_type, payload)))
            except (normalize.PayloadError, TypeError, AttributeError, ValueError, KeyError) as error:
                failed[row.pk] = _failure(row.pk, error)
        for row, payload, events in parsed:
            if normalize.gone(row.event_type, payload):
                notes[row.pk] = normalize.gone(row.event_type, payload)
            erasures = [event for event in events if event.name == normalize.CUSTOMER_DELETED]
            events = [event for event in events if event.name != normalize.CUSTOMER_DELETED]
            try:
                with transaction.atomic(savepoint=one_at_a_time):
                    try:
                        store_events("saleor", events, inbound=InboundDelivery(pk=row.pk), store=row.domain)
                    except DeletedCustomer:
                        # Built by Saleor before the deletion, delivered after it: not read, body erased.
                        inbox.blank(row.pk, "its customer was deleted in the store: not read, body erased")
                    for event in erasures:
                        _erase(row.domain, event)
            except ROW_ERRORS as error:
                if not one_at_a_time:
                    raise
                failed[row.pk] = _failure(row.pk, error)
            else:
                accepted.append(row.pk)
        for row, reader, reading in readings:
            try:
                with transaction.atomic(savepoint=one_at_a_time):
                    note = reader.apply(reading, row.pk)
            except ROW_ERRORS as error:
                if not one_at_a_time:
                    raise
                failed[row.pk] = _failure(row.pk, error)
            else:
                accepted.append(row.pk)
                if note:
                    notes[row.pk] = note
        inbox.finish(accepted, failed, notes)
    return len(rows)


def _erase(domain: str, event) -> None:
    """``CUSTOMER_DELETED``: the store's customer is erased as ``masa_erase_customer`` does (their
    pending actions go with them), recorded in the audit log, and remembered by a digest of their
    id, so that a delivery Saleor built before the deletion and delivered after it is dropped
    rather than bringing them back; a second deletion finds nobody."""
    store = store_key(domain)
    DeletedStoreCustomer.objects.get_or_create(
        store=store, store_id_digest=DeletedStoreCustomer.digest(event.identity.store_id),
        defaults={"deleted_at": event.occurred_at})
    customer = Customer.objects.filter(store=store, store_id=event.identity.store_id).first()
    if customer is not None:
        erase_customer(customer, by=f"Saleor ({store}): the customer was deleted")


def _failure(pk: int, error: Exception) -> str:
    log.error("Inbound delivery %s could not be read: %s", pk, error)
    return f"its events could not be read: {type(error).__name__}: {error}"
