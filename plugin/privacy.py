"""Erase a customer (GDPR "right to erasure"): everything Masa knows about them goes.

The customer row and, with it, their facts, events, rule firings, scheduled actions, messages
(with their attempts) and staff notes; the raw webhook bodies that carried their events, and
rejected ones that name their email, are blanked; audit-log entries about them lose the name.
What is left is a count, for the shop's own records. A later order from the same person starts
a new customer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
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


@transaction.atomic
def erase_customer(customer: Customer) -> Erased:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    events = StoreEvent.objects.filter(customer=customer)
    inbound = set(events.exclude(inbound=None).values_list("inbound_id", flat=True))
    mentioned = InboundDelivery.objects.filter(body__icontains=customer.email) if customer.email else \
        InboundDelivery.objects.none()
    inbound |= set(mentioned.values_list("pk", flat=True))
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
    customer.delete()
    log.info("Erased customer #%s: %s", counts.customer_id, counts)
    return counts
