"""A bounded record of the requests intake refused, for the admin's *Needs attention*.

A stranger must not be able to fill the disk: a rejection keeps no body, only the named headers
with their values cut short, and a reason of bounded length. The same refusal again (same reason,
domain, event and client address within REPEAT_WINDOW) counts on the first row instead of adding
one, and at most ``MASA["REJECTED_WEBHOOKS_KEEP"]`` rows are kept (the oldest go first).
"""
from __future__ import annotations

import hashlib
import ipaddress
import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import conf, metrics
from ..models import InboundDelivery
from ..ratelimit import client_address

RECORDED_HEADERS = ("Saleor-Event", "Saleor-Domain", "Saleor-Api-Url", "Saleor-Signature", "X-Hub-Signature-256",
                    "X-Twilio-Signature", "Content-Type", "User-Agent")
MAX_HEADER_CHARS = 200
MAX_REASON_CHARS = 400
REPEAT_WINDOW = timedelta(hours=1)
PRUNE_CHANCE = 0.05


def header(request, name: str) -> str:
    return request.headers.get(name) or request.headers.get(f"X-{name}") or ""


def recorded_headers(request, limit: int | None = None) -> dict:
    values = {name: header(request, name) for name in RECORDED_HEADERS if header(request, name)}
    if limit is None:
        return values
    return {name: value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"
            for name, value in values.items()}


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def record_rejection(request, code: str, detail: str, status: int, *, source: str = "saleor",
                     event: str | None = None, domain: str | None = None) -> InboundDelivery:
    """Store (or count again) one refused request: bounded, no body. ``event`` and ``domain``: what
    the endpoint knows it was for (a WhatsApp channel); by default Saleor's headers, as sent."""
    metrics.webhook_refused(source, code)
    event = (header(request, "Saleor-Event") if event is None else event)[:64]
    domain = (header(request, "Saleor-Domain") if domain is None else domain)[:255]
    address = _ip(client_address(request))
    fingerprint = hashlib.sha256("\0".join([code, domain, event, address or ""]).encode()).hexdigest()
    reason = f"{code}: {detail}"[:MAX_REASON_CHARS]
    now = timezone.now()
    with transaction.atomic():
        updated = InboundDelivery.objects.filter(
            fingerprint=fingerprint, status=InboundDelivery.Status.REJECTED, last_seen_at__gte=now - REPEAT_WINDOW,
        ).update(repeats=F("repeats") + 1, last_seen_at=now, reason=reason)
        if updated:
            return None
        row = InboundDelivery.objects.create(
            source=source, event_type=event, domain=domain, status=InboundDelivery.Status.REJECTED,
            reason=reason, headers=recorded_headers(request, MAX_HEADER_CHARS), body="",
            remote_addr=address, fingerprint=fingerprint, last_seen_at=now,
        )
    if random.random() < PRUNE_CHANCE:
        prune_rejections()
    return row


def prune_rejections(keep: int | None = None) -> int:
    """Delete the oldest rejected rows beyond the cap; returns how many went."""
    keep = conf.get("REJECTED_WEBHOOKS_KEEP") if keep is None else keep
    rejected = InboundDelivery.objects.filter(status=InboundDelivery.Status.REJECTED)
    beyond = list(rejected.order_by("-received_at", "-pk").values_list("pk", flat=True)[keep:keep + 1])
    if not beyond:
        return 0
    deleted, _ = rejected.filter(pk__lte=beyond[0]).delete()
    return deleted
