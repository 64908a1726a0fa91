"""The HTTP edge shared by the channels that call a provider's API (SMS, webhooks).

Maps what came back to the two failures the scheduler understands: network errors, timeouts,
429 and 5xx are transient (retried with backoff); any other 4xx is permanent.
What a provider answered is kept short (status, reason, the first ANSWER_EXCERPT characters):
it is stored on the delivery and the channel and shown to every admin user. Every request goes
through the address guard of ``safety`` (public addresses only, checked at connect time).

Requests go through one pooled client per process (``client()``): a provider's connection, its TLS
handshake and the client's SSL context are made once and reused by the sends that follow.
"""
from __future__ import annotations

import os
import re
import threading
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from .base import PermanentChannelError, TransientChannelError
from .safety import UnsafeDestination, check_url, guarded_transport

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ANSWER_EXCERPT = 200
# The network edge: tests put an ``httpx.MockTransport`` here; None is the guarded real network.
_transport: httpx.BaseTransport | None = None
_pool: dict[tuple, httpx.Client] = {}
_pooling = threading.Lock()


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: the shared client must not collect what endpoints set."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def client() -> httpx.Client:
    """This process's pooled client for the current network edge (a forked process, or a test that
    puts another transport in place, gets its own); httpx clients are safe to share between threads."""
    key = (os.getpid(), id(_transport))
    pooled = _pool.get(key)
    if pooled is None or pooled.is_closed:
        with _pooling:
            pooled = _pool.get(key)
            if pooled is None or pooled.is_closed:
                _pool.clear()  # another process's or another edge's: never used again from here
                pooled = _pool[key] = httpx.Client(timeout=TIMEOUT, transport=_transport or guarded_transport(),
                                                   follow_redirects=False, cookies=_no_cookies())
    return pooled


def answer_summary(response: httpx.Response) -> str:
    """``503 Service Unavailable: <first characters of the body, one line>``."""
    text = re.sub(r"\s+", " ", response.text or "").strip()
    excerpt = f": {text[:ANSWER_EXCERPT]}{'…' if len(text) > ANSWER_EXCERPT else ''}" if text else ""
    return f"{response.status_code} {response.reason_phrase}{excerpt}"


def exchange(request: httpx.Request) -> httpx.Response:
    """Send one request through the address guard; return whatever came back (a channel that reads
    its provider's error answers maps them itself), or raise the channel error a failure to connect is."""
    try:
        check_url(str(request.url), resolve=False)
        return client().send(request)
    except UnsafeDestination as error:
        raise PermanentChannelError(f"refused destination: {error}") from error
    except httpx.TransportError as error:
        raise TransientChannelError(f"{error.__class__.__name__}: {str(error)[:ANSWER_EXCERPT]}") from error


def send(request: httpx.Request) -> httpx.Response:
    """Send one request; return the 2xx response or raise the channel error it amounts to."""
    response = exchange(request)
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientChannelError(answer_summary(response))
    if response.is_error or response.is_redirect:
        raise PermanentChannelError(answer_summary(response))
    return response
