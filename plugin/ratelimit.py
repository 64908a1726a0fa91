"""Rate limits for Masa's public endpoints (the Saleor webhook, tracking links), per client address.

A fixed window counted in the Django cache (Redis in production). Over the limit the answer is
429 with Retry-After (Saleor retries later). If the cache itself is down the request is let
through: intake must keep accepting webhooks when Redis is not there.
"""
from __future__ import annotations

import functools
import ipaddress
import logging
import time

from django.core.cache import cache
from django.http import JsonResponse

from . import conf

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(text: str) -> tuple[int, int]:
    """``"120/m"`` → (120, 60)."""
    count, _, unit = str(text).partition("/")
    return int(count), UNITS[unit or "m"]


def client_address(request) -> str:
    """The address of the client, as every part of Masa reads it (rate limits, recorded rejections).

    Without ``CLIENT_IP_HEADER`` it is REMOTE_ADDR. With it (e.g. ``HTTP_X_FORWARDED_FOR``) each
    proxy appends the address it was reached from, so only the right-most ``TRUSTED_PROXIES``
    entries were written by our own proxies; everything to their left is whatever the client
    sent. The address is the entry ``TRUSTED_PROXIES`` hops from the right; a header with fewer
    entries than trusted proxies did not come through them all, and REMOTE_ADDR is used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    header = conf.get("CLIENT_IP_HEADER")
    if not header or not request.META.get(header):
        return remote
    proxies = conf.get("TRUSTED_PROXIES")
    proxies = 1 if proxies is None else int(proxies)
    if proxies < 1:
        return remote
    hops = [part.strip() for part in str(request.META[header]).split(",")]
    if len(hops) < proxies or not _is_address(hops[-proxies]):
        return remote
    return hops[-proxies]


def _is_address(text: str) -> bool:
    """An IP address (what the proxy wrote; anything else is not one, and REMOTE_ADDR is used)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def allow(bucket: str, key: str, limit: int, seconds: int, now: float | None = None) -> bool:
    window = int((now or time.time()) // seconds)
    cache_key = f"masa:ratelimit:{bucket}:{key}:{window}"
    try:
        cache.add(cache_key, 0, timeout=seconds + 5)
        return cache.incr(cache_key) <= limit
    except Exception:
        log.warning("Rate limit store unavailable; letting %s through", bucket, exc_info=True)
        return True


def _too_many(rate: str, what: str) -> JsonResponse:
    response = JsonResponse({"error": "rate_limited", "detail": f"more than {rate} {what}"}, status=429)
    response["Retry-After"] = str(parse_rate(rate)[1])
    return response


def _over(bucket: str, rate: str, address: str, count: bool = True) -> bool:
    limit, seconds = parse_rate(rate)
    if count:
        return not allow(bucket, address, limit, seconds)
    return not within(bucket, address, limit, seconds)


def within(bucket: str, key: str, limit: int, seconds: int, now: float | None = None) -> bool:
    """Whether the count in this window is still at most ``limit`` (without counting this one)."""
    window = int((now or time.time()) // seconds)
    try:
        return (cache.get(f"masa:ratelimit:{bucket}:{key}:{window}") or 0) < limit
    except Exception:
        log.warning("Rate limit store unavailable; letting %s through", bucket, exc_info=True)
        return True


def rate_limited(bucket: str, rejections: str | None = None):
    """Answer 429 when the client has made more than ``MASA["RATE_LIMITS"][bucket]`` requests,
    or, with ``rejections``, had more than ``MASA["RATE_LIMITS"][rejections]`` of them refused
    with a 4xx (a stranger probing the endpoint is stopped long before a real store would be)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            limits = conf.get("RATE_LIMITS") or {}
            address = client_address(request)
            if limits.get(bucket) and _over(bucket, limits[bucket], address):
                return _too_many(limits[bucket], "requests")
            refused_rate = limits.get(rejections) if rejections else None
            if refused_rate and _over(rejections, refused_rate, address, count=False):
                return _too_many(refused_rate, "refused requests")
            response = view(request, *args, **kwargs)
            if refused_rate and 400 <= response.status_code < 500:
                allow(rejections, address, *parse_rate(refused_rate))
            return response
        return wrapped
    return decorate
