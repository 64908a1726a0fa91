"""Erase a customer (GDPR "right to erasure"): everything Masa knows about them goes.

The customer row and, with it, their facts, events, rule firings, scheduled actions, messages
(with their attempts) and staff notes; the raw webhook bodies that carried their events are
blanked, and so is every other stored body whose parsed JSON names them (their email, store id or
phone, however the JSON escaped it: ``zo\u00eb@…`` is ``zoë@…``); audit-log entries about them
lose the name.
What is left is a count, for the shop's own records. A later order from the same person starts
a new customer.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.log_actions import log as audit_log
from wagtail.models import ModelLogEntry

from .models import Customer, CustomerNote, Delivery, InboundDelivery, RuleFiring, ScheduledAction, StoreEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    customer_id: int
    events: int
    messages: int
    actions: int
    firings: int
    notes: int
    webhook_bodies: int


def _strings(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _identifiers(customer: Customer) -> set[str]:
    return {value.strip().casefold() for value in (customer.email, customer.store_id, customer.phone)
            if value and value.strip()}


def _names(body: str, identifiers: set[str]) -> bool:
    """Whether a stored body, parsed, holds one of the customer's identifiers as a value."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return any(identifier in body.casefold() for identifier in identifiers)
    return any(text.strip().casefold() in identifiers for text in _strings(parsed))


def _bodies_naming(customer: Customer, skip: set[int]) -> set[int]:
    """Stored bodies that name the customer: only their own store's (another store's ``User:1``, or
    the same e-mail in a Saleor store for a customer of the site's own in-process store, is someone
    else)."""
    identifiers = _identifiers(customer)
    if not identifiers:
        return set()
    rows = (InboundDelivery.objects.exclude(body="").exclude(pk__in=skip).filter(domain__iexact=customer.store)
            .only("pk", "body"))
    return {row.pk for row in rows.iterator(chunk_size=200) if _names(row.body, identifiers)}


@transaction.atomic
def erase_customer(customer: Customer, by: str = "", user=None) -> Erased:
    """Erase the customer; the audit log keeps who or what asked (``by``, ``user``) and the counts,
    never the person."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    events = StoreEvent.objects.filter(customer=customer)
    inbound = set(events.exclude(inbound=None).values_list("inbound_id", flat=True))
    inbound |= _bodies_naming(customer, inbound)
    counts = Erased(
        customer_id=customer.pk,
        events=events.count(),
        messages=Delivery.objects.filter(customer=customer).count(),
        actions=ScheduledAction.objects.filter(customer=customer).count(),
        firings=RuleFiring.objects.filter(customer=customer).count(),
        notes=CustomerNote.objects.filter(customer=customer).count(),
        webhook_bodies=len(inbound),
    )
    InboundDelivery.objects.filter(pk__in=inbound).update(body="", headers={}, remote_addr=None,
                                                          reason="(body erased with a customer's data)")
    ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Customer),
                                 object_id=str(customer.pk)).update(label=f"erased customer #{customer.pk}", data={})
    audit_log(instance=customer, action="masa.customer.erase", user=user, title=f"erased customer #{customer.pk}",
        data={"by": by or (user.get_username() if user else ""), **vars(counts)})
    customer.delete()
    log.info("Erased customer #%s: %s", counts.customer_id, counts)
    return counts
