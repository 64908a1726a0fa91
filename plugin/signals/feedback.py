"""What recipients did with a message, as events of the message's customer.

Both tracking links (``tracking_views``) and providers' tracking webhooks (through
django-anymail's normalized ``tracking`` signal, ``anymail_tracking``) come through here.
"""
from __future__ import annotations

from django.utils import timezone

from ..models import Delivery
from .intake import store_events
from .normalize import Identity, NormalizedEvent


def record(delivery: Delivery, name: str, source_id: str, at=None, **data) -> None:
    """Store ``name`` (message_sent, message_opened, message_clicked, message_bounced,
    unsubscribed, survey_answered, list_joined) once per ``source_id`` for the delivery's
    customer, with the message's rule and template."""
    customer = delivery.customer
    rule = delivery.action.rule.rule_id if delivery.action and delivery.action.rule else ""
    store_events("masa", [NormalizedEvent(
        name, source_id, at or timezone.now(), Identity(store_id=customer.store_id, email=customer.email),
        {"delivery": delivery.idempotency_key, "template": delivery.template_key, "rule": rule, **data},
    )])
