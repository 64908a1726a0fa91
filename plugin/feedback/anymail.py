"""django-anymail's normalized tracking events (any ESP's webhooks) → Delivery status and events.

Connected in ``MasaConfig.ready`` when django-anymail is installed. The ESP's message id is the
Delivery's ``provider_message_id`` (the email channel keeps anymail's id when there is one).
"""
from __future__ import annotations

import hashlib

from ..models import Delivery
from ..eventstore import record_message_event

EVENTS = {"opened": "message_opened", "clicked": "message_clicked", "bounced": "message_bounced",
          "rejected": "message_bounced", "failed": "message_bounced", "unsubscribed": "unsubscribed",
          "complained": "unsubscribed"}
STATUSES = {"delivered": Delivery.Status.DELIVERED, "bounced": Delivery.Status.BOUNCED,
            "rejected": Delivery.Status.BOUNCED, "failed": Delivery.Status.BOUNCED}


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    if not event.message_id:
        return
    delivery = (Delivery.objects.select_related("customer", "action__rule", "channel")
                .filter(provider_message_id=event.message_id).first())
    if delivery is None:
        return
    status = STATUSES.get(event.event_type)
    if status and not (status == Delivery.Status.DELIVERED and delivery.status == Delivery.Status.BOUNCED):
        Delivery.objects.filter(pk=delivery.pk).update(status=status)
    name = EVENTS.get(event.event_type)
    if name and not (delivery.action is not None and delivery.action.kind == "notify_staff"):
        # a staff alert's opens, clicks, bounces and complaints are the staff's, never the customer's
        url = event.click_url or ""
        suffix = f":{hashlib.sha256(url.encode()).hexdigest()[:16]}" if url else ""
        details = {"url": url} if url else {}
        if event.event_type == "complained":
            details["complaint"] = True    # marked as spam: an unsubscribe the timeline names as such
        if event.description or event.mta_response:
            details["reason"] = (event.description or event.mta_response or "")[:500]
        record_message_event(delivery, name, f"{name}:{delivery.idempotency_key}{suffix}", esp=esp_name, **details)
