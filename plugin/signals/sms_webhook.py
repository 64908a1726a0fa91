"""Customers' SMS replies into Masa: verify, store, answer — read later (``inbound`` →
``sms_events``), as WhatsApp's.

One URL per SMS channel, ``/masa/webhooks/sms/<channel id>/``, pasted in the provider's settings
for incoming messages (Twilio: the number's "A message comes in" webhook, HTTP POST). The id in
the path only says which channel's secrets to check against; it is not a secret.

- Twilio channels: ``X-Twilio-Signature`` must be Twilio's signature of the request (base64 of the
  HMAC-SHA1, keyed with the channel's auth token, of the full URL Twilio called — ``MASA["PUBLIC_URL"]``
  and the path with its query, or the address the request came to when PUBLIC_URL is not set —
  followed by every POST parameter, sorted by name, name then value); the form's ``AccountSid`` must
  be the channel's. The answer is an empty TwiML ``<Response/>``: Masa sends no automatic reply
  (Twilio's own opt-out handling answers STOP).
- Generic ("http") channels: the channel's ``inbound_token``, sent as ``Authorization: Bearer …``
  or ``?token=…``; a JSON object or form body (``sms_events.fields``). The answer is JSON.

Both: the body is capped (``MASA["MAX_WEBHOOK_BYTES"]``, 413), stored as it came (``inbox``, source
"sms") and answered at once; an unknown, disabled or non-SMS channel is 404, a missing or forged
signature or token 401; every refusal is recorded, bounded, without the body (``rejections``).
A replay of the same message (its ``MessageSid``, the generic provider's id) is stored once.

Who controls what: Twilio signs the URL and the form, so the number, text and ids in it are
Twilio's (the text is the customer's: plain text, never rendered unescaped); a generic provider's
body is whoever holds the token; the channel id in the path and every other header are anyone's.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import conf
from ..models import Channel, InboundDelivery
from ..ratelimit import client_address, rate_limited
from . import inbox
from .inbound import inbound_stored
from .rejections import recorded_headers
from .sms_events import SOURCE, Unreadable, channel_event_type, fields, is_twilio
from .channel_intake import Refusal, enabled_channel, refused
from .unavailable import database_unavailable


SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def twilio_signature(auth_token: str, url: str, params: QueryDict) -> str:
    """Twilio's signature of a request: the URL, then each parameter's name and value (sorted by
    name; a repeated name's values sorted), HMAC-SHA1 with the auth token, base64."""
    signed = url + "".join(name + value for name in sorted(params) for value in sorted(params.getlist(name)))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def called_url(request) -> str:
    """The URL the provider called, as it was given to the provider (``MASA["PUBLIC_URL"]``)."""
    public = conf.get("PUBLIC_URL")
    return public.rstrip("/") + request.get_full_path() if public else request.build_absolute_uri()


def _body(request) -> str:
    max_bytes = conf.get("MAX_WEBHOOK_BYTES")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes or len(request.body) > max_bytes:
        raise Refusal(413, "sms_too_large", f"body is larger than {max_bytes} bytes")
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(400, "sms_invalid_utf8", f"body is not UTF-8: {error}") from error


def _check_twilio(request, channel: Channel, body: str) -> None:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise Refusal(401, "sms_missing_signature", f"{SIGNATURE_HEADER} header is missing")
    auth_token = str((channel.secrets or {}).get("auth_token") or "")
    if not auth_token:
        raise Refusal(401, "sms_no_auth_token", "the Twilio channel has no auth token to check the signature with")
    expected = twilio_signature(auth_token, called_url(request), QueryDict(body))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Refusal(401, "sms_bad_signature", f"{SIGNATURE_HEADER} does not match the URL, the form and the "
                                                f"auth token")
    account = QueryDict(body).get("AccountSid", "")
    if account != str((channel.config or {}).get("account_sid") or ""):
        raise Refusal(403, "sms_other_account", "AccountSid is not the channel's Twilio account")


def _check_token(request, channel: Channel) -> None:
    expected = str((channel.secrets or {}).get("inbound_token") or "")
    if not expected:
        raise Refusal(401, "sms_no_inbound_token", "the SMS channel has no token for replies")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else request.GET.get("token", "")
    if not given:
        raise Refusal(401, "sms_missing_token", "no token (Authorization: Bearer, or ?token=)")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refusal(401, "sms_bad_token", "the token is not the channel's token for replies")


def _store(request, channel: Channel, body: str) -> bool:
    """Stores the reply; False when this message was stored already."""
    try:
        message_id = fields(channel, body)["id"]
    except Unreadable as error:
        raise Refusal(400, "sms_unreadable", str(error)) from None
    kind = channel_event_type(channel.pk)
    identity = f"id:{message_id}".encode() if message_id else b"body:" + body.encode()
    stored = inbox.store(source=SOURCE, event_type=kind, domain=channel.name,
                         dedupe_key=hashlib.sha256(b"\0".join([kind.encode(), identity])).hexdigest(),
                         headers=recorded_headers(request), body=body, remote_addr=client_address(request) or None)
    if stored is not None:
        transaction.on_commit(lambda: inbound_stored.send(sender=InboundDelivery, inbound_ids=[stored]))
    return stored is not None


@csrf_exempt
@require_POST
@rate_limited("webhook", rejections="webhook_rejected")
def sms_webhook(request, channel_id: int):
    channel = None
    try:
        channel = enabled_channel(channel_id, Channel.Kind.SMS, "sms", "SMS")
        body = _body(request)
        if is_twilio(channel):
            _check_twilio(request, channel, body)
            _store(request, channel, body)
            return HttpResponse(EMPTY_TWIML, content_type="text/xml")
        _check_token(request, channel)
        return JsonResponse({"status": "accepted" if _store(request, channel, body) else "duplicate"})
    except Refusal as refusal:
        return refused(request, refusal, source=SOURCE, event=channel_event_type(channel_id), channel=channel,
                       what="SMS reply")
    except (OperationalError, InterfaceError) as error:
        return database_unavailable(error, "SMS reply")
