"""The HTTP edge shared by the channels that call a provider's API (SMS, webhooks).

Maps what came back to the two failures the scheduler understands: network errors, timeouts,
429 and 5xx are transient (retried with backoff); any other 4xx is permanent.
"""
from __future__ import annotations

import httpx

from .base import PermanentChannelError, TransientChannelError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_transport: httpx.BaseTransport | None = None


def client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, transport=_transport)


def send(request: httpx.Request) -> httpx.Response:
    """Send one request; return the 2xx response or raise the channel error it amounts to."""
    with client() as http:
        try:
            response = http.send(request)
        except httpx.TransportError as error:
            raise TransientChannelError(f"{error.__class__.__name__}: {error}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientChannelError(f"{response.status_code}: {response.text[:500]}")
    if response.is_error:
        raise PermanentChannelError(f"{response.status_code}: {response.text[:500]}")
    return response
