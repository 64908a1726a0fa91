"""The Saleor webhook endpoint: verify, then parse, then store (as django-anymail's webhook views).

Every request is answered with JSON. A rejected request gets a 4xx with a reason code and is
recorded (headers, a truncated body) for the admin; a key server or a database we cannot reach
gets a 503 so that Saleor retries. An accepted request is one INSERT of its verified body
(``inbox``); its events are stored and evaluated by the worker (``inbound``), so the answer does
not wait for customers to be looked up or a broker to be reached.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta

import jwt
from django.db import DataError, InterfaceError, OperationalError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import conf
from ..models import InboundDelivery
from . import inbox, normalize
from .inbound import inbound_stored
from ..ratelimit import client_address, rate_limited
from .rejections import header as _header, record_rejection, recorded_headers
from ..saleor import installation
from ..saleor.webhooks import event_name
from .saleor_keys import KeysUnavailable, configured_store, key_for
from ..stores import store_key
from .unavailable import database_unavailable

log = logging.getLogger(__name__)
MAX_JSON_DEPTH = 64
FUTURE_TOLERANCE = timedelta(minutes=5)


class Rejection(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_signed_event(event_type: str, payload) -> None:
    """The event and its age come from the signed body (``__typename``, ``issuedAt``); the
    ``Saleor-Event`` header is not signed and must agree with it."""
    typename = payload.get("__typename") if isinstance(payload, dict) else None
    if not isinstance(typename, str) or not typename:
        raise Rejection(400, "missing_typename",
                        "the body has no __typename: Masa's subscription queries select event { __typename … }")
    signed_event = event_name(typename)
    if signed_event != event_type:
        raise Rejection(400, "event_mismatch",
                        f"Saleor-Event {event_type[:64]!r} does not match the signed body's __typename {typename[:64]!r}")
    max_age = conf.seconds("WEBHOOK_MAX_AGE")
    if max_age is None:
        return
    try:
        issued_at = datetime.fromisoformat(str(payload.get("issuedAt")))
    except ValueError:
        raise Rejection(400, "missing_issued_at", "the body has no valid issuedAt") from None
    if issued_at.tzinfo is None:
        raise Rejection(400, "missing_issued_at", "issuedAt has no time zone")
    now = timezone.now()
    if issued_at < now - timedelta(seconds=max_age):
        raise Rejection(400, "too_old", f"issued at {issued_at.isoformat()}, more than {max_age:g} s ago "
                                        f"(MASA['WEBHOOK_MAX_AGE'])")
    if issued_at > now + FUTURE_TOLERANCE:
        raise Rejection(400, "issued_in_future", f"issued at {issued_at.isoformat()}, in the future")


def verify_signature(signature: str, body: bytes, domain: str, api_url: str) -> str:
    """The store's key (``masa.stores``) if ``signature`` is that store's detached JWS (RS256) over
    ``body``; raise Rejection otherwise."""
    store = configured_store(domain)
    if store is None:
        raise Rejection(403, "unknown_domain", f"Saleor-Domain {domain!r} is not an allowed store")
    if not api_url:
        raise Rejection(400, "missing_api_url", "Saleor-Api-Url header is missing")
    if store.api_url and api_url.rstrip("/") != store.api_url.rstrip("/"):
        raise Rejection(403, "api_url_mismatch", f"Saleor-Api-Url {api_url!r} is not the configured API of {domain}")
    if not signature:
        raise Rejection(401, "missing_signature", "Saleor-Signature header is missing")
    try:
        header = jwt.get_unverified_header(signature)
    except jwt.DecodeError as error:
        raise Rejection(401, "malformed_signature", f"Saleor-Signature is not a JWS: {error}") from error
    if header.get("alg") != "RS256" or header.get("b64") is not False:
        raise Rejection(401, "malformed_signature", "Saleor-Signature must be RS256 over a detached unencoded payload")
    key = key_for(store, header.get("kid", ""))
    if key is None:
        raise Rejection(401, "unknown_key", f"no key {header.get('kid')!r} in the JWKS of {domain}")
    try:
        jwt.api_jws.decode_complete(signature, key.key, algorithms=["RS256"], detached_payload=body)
    except jwt.InvalidTokenError as error:
        raise Rejection(401, "bad_signature", f"signature does not match the body: {error}") from error
    return store_key(store.domain)


def _parse(request) -> tuple[str, str, dict]:
    max_bytes = conf.get("MAX_WEBHOOK_BYTES")
    if int(request.META.get("CONTENT_LENGTH") or 0) > max_bytes:
        raise Rejection(413, "too_large", f"body is larger than {max_bytes} bytes")
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise Rejection(415, "unsupported_content_type", f"Content-Type must be application/json, not {content_type!r}")
    event_type = _header(request, "Saleor-Event").lower()
    if not event_type:
        raise Rejection(400, "missing_event", "Saleor-Event header is missing")
    if event_type not in normalize.SUPPORTED_EVENTS:
        raise Rejection(400, "unknown_event", f"event {event_type!r} is not one Masa subscribes to")
    domain = _header(request, "Saleor-Domain")
    if not domain:
        raise Rejection(400, "missing_domain", "Saleor-Domain header is missing")
    body = request.body
    if len(body) > max_bytes:
        raise Rejection(413, "too_large", f"body is larger than {max_bytes} bytes")
    # From here on the store is the configured one the signature proved, in one spelling: a
    # replay with the header in other letters is the same store, the same delivery.
    domain = verify_signature(_header(request, "Saleor-Signature"), body, domain, _header(request, "Saleor-Api-Url"))
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Rejection(400, "invalid_json", f"body is not valid JSON: {str(error)[:200]}") from error
    except RecursionError:
        raise Rejection(400, "too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if b"\\u0000" in body:
        raise Rejection(400, "invalid_json", "strings may not contain NUL (\\u0000)")
    if _depth(payload) > MAX_JSON_DEPTH:
        raise Rejection(400, "too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    _check_signed_event(event_type, payload)
    return event_type, domain, payload


def _normalize(event_type: str, payload) -> list:
    """Normalized events, or a 400 for JSON that is valid but not the shape Saleor sends."""
    try:
        return normalize.normalize(event_type, payload)
    except normalize.PayloadError as error:
        raise Rejection(400, "wrong_shape", str(error)) from error
    except (TypeError, AttributeError, ValueError, KeyError) as error:
        raise Rejection(400, "wrong_shape", f"unexpected payload shape ({type(error).__name__}: {error})") from error


@csrf_exempt
@require_POST
@rate_limited("webhook", rejections="webhook_rejected")
def saleor_webhook(request):
    try:
        event_type, domain, payload = _parse(request)
        events = _normalize(event_type, payload)
    except Rejection as error:
        rejection = error
    except KeysUnavailable as error:
        log.warning("Saleor webhook not verified: %s", error)
        try:
            record_rejection(request, "keys_unavailable", str(error), status=503)
        except (OperationalError, InterfaceError) as db_error:
            return database_unavailable(db_error, "Saleor webhook")
        response = JsonResponse({"error": "keys_unavailable", "detail": str(error)}, status=503)
        response["Retry-After"] = "30"
        return response
    else:
        try:
            response = _accept(request, event_type, domain, events)
            if event_type == "app_deleted":
                installation.uninstalled(domain, str((payload.get("app") or {}).get("id") or ""))
            return response
        except DataError as error:
            rejection = Rejection(400, "wrong_shape", f"a value does not fit: {error}".strip())
        except (OperationalError, InterfaceError) as error:
            return database_unavailable(error, "Saleor webhook")
    try:
        record_rejection(request, rejection.code, rejection.detail, status=rejection.status)
    except (OperationalError, InterfaceError) as error:
        return database_unavailable(error, "Saleor webhook")
    return JsonResponse({"error": rejection.code, "detail": rejection.detail}, status=rejection.status)


def _accept(request, event_type, domain, events):
    """One INSERT of the verified body and its headers; the worker reads its events (``inbound``)."""
    body = request.body
    dedupe_key = hashlib.sha256(b"\0".join([domain.encode(), event_type.encode(), body])).hexdigest()
    stored = inbox.store(event_type=event_type, domain=domain, dedupe_key=dedupe_key,
                         headers=recorded_headers(request), body=body.decode("utf-8"),
                         remote_addr=client_address(request) or None)
    if stored is None:
        return JsonResponse({"status": "duplicate", "events": 0})
    transaction.on_commit(lambda: inbound_stored.send(sender=InboundDelivery, inbound_ids=[stored]))
    return JsonResponse({"status": "accepted", "events": len(events)})
