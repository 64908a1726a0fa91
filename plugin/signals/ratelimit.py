"""Rate limits for Masa's public endpoints (the Saleor webhook, tracking links), per client address.

A fixed window counted in the Django cache (Redis in production). Over the limit the answer is
429 with Retry-After (Saleor retries later). If the cache itself is down the request is let
through: intake must keep accepting webhooks when Redis is not there.
"""
from __future__ import annotations

import functools
import logging
import time

from django.core.cache import cache
from django.http import JsonResponse

from .. import conf

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(text: str) -> tuple[int, int]:
    """``"120/m"`` → (120, 60)."""
    count, _, unit = str(text).partition("/")
    return int(count), UNITS[unit or "m"]


def client_address(request) -> str:
    header = conf.get("CLIENT_IP_HEADER")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def allow(bucket: str, key: str, limit: int, seconds: int, now: float | None = None) -> bool:
    window = int((now or time.time()) // seconds)
    cache_key = f"masa:ratelimit:{bucket}:{key}:{window}"
    try:
        cache.add(cache_key, 0, timeout=seconds + 5)
        return cache.incr(cache_key) <= limit
    except Exception:
        log.warning("Rate limit store unavailable; letting %s through", bucket, exc_info=True)
        return True


def rate_limited(bucket: str):
    """Answer 429 when the client has made more than ``MASA["RATE_LIMITS"][bucket]`` requests."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            rate = (conf.get("RATE_LIMITS") or {}).get(bucket)
            if rate:
                limit, seconds = parse_rate(rate)
                if not allow(bucket, client_address(request), limit, seconds):
                    response = JsonResponse({"error": "rate_limited", "detail": f"more than {rate} requests"},
                                            status=429)
                    response["Retry-After"] = str(seconds)
                    return response
            return view(request, *args, **kwargs)
        return wrapped
    return decorate
