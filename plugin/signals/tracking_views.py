"""Public endpoints behind the tracking links: verify the token, store the event, answer.

They record, never decide: ``message_opened``, ``message_clicked`` and ``unsubscribed`` become
StoreEvents of the delivery's customer (opens and clicks once per delivery and link), and rules
act on them like on any event.
"""
from __future__ import annotations

import base64
import hashlib

from django.core import signing
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .. import tracking
from ..models import Delivery
from . import feedback

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _delivery(value: str, kind: str) -> tuple[Delivery | None, dict]:
    try:
        payload = tracking.read(value, kind)
    except signing.BadSignature:
        return None, {}
    delivery = Delivery.objects.select_related("customer", "action__rule").filter(idempotency_key=payload["d"]).first()
    return delivery, payload


@require_GET
def opened(request, token):
    delivery, _ = _delivery(token, "open")
    if delivery is not None:
        feedback.record(delivery, "message_opened", f"message_opened:{delivery.idempotency_key}")
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def clicked(request, token):
    delivery, payload = _delivery(token, "click")
    if delivery is None:
        return HttpResponseBadRequest("This link is not valid.")
    url = payload["u"]
    link = hashlib.sha256(url.encode()).hexdigest()[:16]
    feedback.record(delivery, "message_clicked", f"message_clicked:{delivery.idempotency_key}:{link}", url=url)
    return HttpResponseRedirect(url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows a one-button page (link scanners must not unsubscribe anyone); POST, from that
    button or a mail client's one-click (RFC 8058), unsubscribes from marketing."""
    delivery, _ = _delivery(token, "unsubscribe")
    if delivery is None:
        return HttpResponseBadRequest("This unsubscribe link is not valid.")
    if request.method == "GET":
        return HttpResponse(
            '<!doctype html><meta charset="utf-8"><title>Unsubscribe</title>'
            '<form method="post"><p>Stop marketing messages to this address?</p>'
            '<button type="submit">Unsubscribe</button></form>')
    feedback.record(delivery, "unsubscribed", f"unsubscribed:{delivery.customer_id}:{delivery.idempotency_key}")
    return HttpResponse('<!doctype html><meta charset="utf-8"><p>You will get no more marketing messages.</p>')
