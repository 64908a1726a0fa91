"""WhatsApp's webhook (Meta's Cloud API) into Masa: verify, store, answer — read later, as Saleor's.

One URL per WhatsApp channel, ``/masa/webhooks/whatsapp/<channel id>/``, pasted as the callback
URL in the channel's Meta app. The id in the path only says which channel's secrets to check
against: it is not a secret (anyone may post to the URL), the app secret's signature is what
proves Meta sent the body, and the verify token is what proves a subscription request is the
owner's. A channel's name could change, or be Hebrew; its id does neither.

- GET is Meta's subscription check: ``hub.mode=subscribe`` and ``hub.verify_token`` equal to the
  channel's (compared in constant time) are answered with ``hub.challenge`` as plain text — only a
  short run of letters and digits is ever echoed; anything else is refused (403).
- POST: the body is capped (``MASA["MAX_WEBHOOK_BYTES"]``, 413), ``X-Hub-Signature-256`` must be
  the HMAC of the raw bytes with the channel's app secret (401), and the verified body is stored
  as it came (``inbox``, source "whatsapp") and answered 200 at once: Meta retries whatever is not
  2xx, so nothing is parsed, looked up or evaluated before the answer. The worker reads it
  (``inbound`` → ``whatsapp_events``). Every refusal is recorded, bounded, without the body
  (``rejections``).

Replays: Meta signs no timestamp, so a captured request stays valid. The body itself is the
delivery's identity: an identical body is stored once (its SHA-256 is the dedupe key) and answered
200 as a duplicate, and every event it carries is stored once per WhatsApp message id and status
(``message_delivered:<delivery>``, ``message_replied:<wamid>``…), so a replay changes nothing. A
replayed body can only say again what Meta said.

Who controls what: Meta signs the body; the phone numbers and statuses in it are Meta's; a reply's
text is the customer's (plain text, never rendered unescaped); the channel id in the path and every
header but the signature are anyone's.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import conf
from ..models import Channel, InboundDelivery
from ..ratelimit import client_address, rate_limited
from ..whatsapp_cloud import verify_signature
from . import inbox
from .inbound import inbound_stored
from .rejections import recorded_headers
from .whatsapp_events import SOURCE, channel_event_type, channel_setting
from .channel_intake import Refusal, enabled_channel, refused
from .unavailable import database_unavailable


SIGNATURE_HEADER = "X-Hub-Signature-256"
# What Meta's challenge is (an integer as text); nothing else is echoed back.
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _challenge(request, channel: Channel) -> HttpResponse:
    if request.GET.get("hub.mode") != "subscribe":
        raise Refusal(403, "whatsapp_not_a_subscription", "hub.mode is not subscribe")
    expected = channel_setting(channel, "verify_token")
    given = request.GET.get("hub.verify_token", "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refusal(403, "whatsapp_bad_verify_token", "hub.verify_token is not the channel's verify token")
    challenge = request.GET.get("hub.challenge", "")
    if not CHALLENGE.fullmatch(challenge):
        raise Refusal(403, "whatsapp_bad_challenge", "hub.challenge is not a short token of letters and digits")
    return HttpResponse(challenge, content_type="text/plain")


def _verified_body(request, channel: Channel) -> bytes:
    max_bytes = conf.get("MAX_WEBHOOK_BYTES")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise Refusal(413, "whatsapp_too_large", f"body is larger than {max_bytes} bytes")
    body = request.body
    if len(body) > max_bytes:
        raise Refusal(413, "whatsapp_too_large", f"body is larger than {max_bytes} bytes")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise Refusal(401, "whatsapp_missing_signature", f"{SIGNATURE_HEADER} header is missing")
    secret = channel_setting(channel, "app_secret")
    if not secret:
        raise Refusal(401, "whatsapp_no_app_secret", "the channel has no app secret to check the signature with: "
                                            "enter the Meta app's secret in the channel's settings")
    if not verify_signature(secret, body, signature):
        raise Refusal(401, "whatsapp_bad_signature", f"{SIGNATURE_HEADER} does not match the body and the app secret")
    return body


def _store(request, channel: Channel, body: bytes) -> JsonResponse:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(400, "whatsapp_invalid_utf8", f"body is not UTF-8: {error}") from error
    kind = channel_event_type(channel.pk)
    dedupe_key = hashlib.sha256(b"\0".join([kind.encode(), body])).hexdigest()
    stored = inbox.store(source=SOURCE, event_type=kind, domain=channel.name, dedupe_key=dedupe_key,
                         headers=recorded_headers(request), body=text,
                         remote_addr=client_address(request) or None)
    if stored is None:
        return JsonResponse({"status": "duplicate"})
    transaction.on_commit(lambda: inbound_stored.send(sender=InboundDelivery, inbound_ids=[stored]))
    return JsonResponse({"status": "accepted"})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("webhook", rejections="webhook_rejected")
def whatsapp_webhook(request, channel_id: int):
    channel = None
    try:
        channel = enabled_channel(channel_id, Channel.Kind.WHATSAPP, "whatsapp", "WhatsApp")
        if request.method == "GET":
            return _challenge(request, channel)
        return _store(request, channel, _verified_body(request, channel))
    except Refusal as refusal:
        return refused(request, refusal, source=SOURCE, event=channel_event_type(channel_id), channel=channel,
                       what="WhatsApp webhook", empty=request.method == "GET")
    except (OperationalError, InterfaceError) as error:
        return database_unavailable(error, "WhatsApp webhook")
