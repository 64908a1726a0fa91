"""The public keys a Saleor store signs its webhooks with (JWKS), fetched and cached.

Keys come from the *configured* store's API host, never from a URL a request names: a forged
request could otherwise point us at the forger's own keys.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import httpx
from django.core.cache import cache
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

from .. import conf
from ..models import SaleorApp

log = logging.getLogger(__name__)
REFRESH_COOLDOWN_SECONDS = 60
# After a failed fetch, requests are answered 503 from this memory for this long, without fetching.
FAILURE_COOLDOWN_SECONDS = 30

# The network edge: tests and benchmarks may put an ``httpx.MockTransport`` here.
transport: httpx.BaseTransport | None = None


class KeysUnavailable(Exception):
    """The store's JWKS could not be fetched or parsed (our side or theirs; retryable)."""


@dataclass(frozen=True)
class Store:
    domain: str
    api_url: str
    pinned_jwks: dict | None = None

    @property
    def jwks_url(self) -> str:
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def configured_store(domain: str) -> Store | None:
    """The store with this domain: one of ``MASA["SALEOR_STORES"]``, else one installed from its
    dashboard (``SaleorApp``, still installed)."""
    for entry in conf.get("SALEOR_STORES"):
        if entry.get("domain", "").lower() == (domain or "").lower():
            return Store(domain=entry["domain"], api_url=entry.get("api_url", ""), pinned_jwks=entry.get("jwks"))
    app = SaleorApp.objects.filter(domain__iexact=domain or "", status=SaleorApp.Status.INSTALLED).first() \
        if domain else None
    return Store(domain=app.domain, api_url=app.api_url) if app else None


def _cache_key(store: Store) -> str:
    return f"masa:jwks:{store.domain}"


def _fetch(store: Store) -> dict:
    """The store's JWKS; a failure is remembered for FAILURE_COOLDOWN_SECONDS, during which every
    request gets the same answer without another outbound call (a JWKS outage is not multiplied)."""
    failed_key = f"{_cache_key(store)}:failed"
    remembered = cache.get(failed_key)
    if remembered:
        raise KeysUnavailable(f"{remembered} (not retried for up to {FAILURE_COOLDOWN_SECONDS} s)")
    try:
        with httpx.Client(transport=transport, timeout=conf.seconds("JWKS_FETCH_TIMEOUT")) as client:
            response = client.get(store.jwks_url)
        response.raise_for_status()
        jwks = response.json()
        _keys_from(jwks)
        return jwks
    except (httpx.HTTPError, json.JSONDecodeError, KeysUnavailable) as error:
        reason = f"could not fetch {store.jwks_url}: {str(error)[:200]}"
        cache.set(failed_key, reason, FAILURE_COOLDOWN_SECONDS)
        raise KeysUnavailable(reason) from error


def _keys_from(jwks: dict) -> dict[str, PyJWK]:
    """The JWKS's keys by id. Building an RSA key from its JWK costs more than the rest of a
    request's verification, so each distinct JWKS is parsed once per process."""
    try:
        return _parsed(json.dumps(jwks, sort_keys=True))
    except (TypeError, ValueError) as error:
        raise KeysUnavailable(f"the store's JWKS is not usable: {error}") from error


@lru_cache(maxsize=32)
def _parsed(text: str) -> dict[str, PyJWK]:
    try:
        key_set = PyJWKSet.from_dict(json.loads(text))
    except (PyJWKSetError, KeyError, TypeError, ValueError) as error:
        raise KeysUnavailable(f"the store's JWKS is not usable: {error}") from error
    return {key.key_id: key for key in key_set.keys if key.key_id}


def key_for(store: Store, kid: str) -> PyJWK | None:
    """The store's key with this id; refetches once (rate-limited) when the id is new to us."""
    if store.pinned_jwks is not None:
        return _keys_from(store.pinned_jwks).get(kid)
    jwks = cache.get(_cache_key(store))
    if jwks is None:
        jwks = _fetch(store)
        cache.set(_cache_key(store), jwks, conf.seconds("JWKS_CACHE"))
    key = _keys_from(jwks).get(kid)
    if key is None and cache.add(f"{_cache_key(store)}:refreshed", 1, REFRESH_COOLDOWN_SECONDS):
        log.info("Unknown key id %s for %s: refreshing its JWKS", kid, store.domain)
        jwks = _fetch(store)
        cache.set(_cache_key(store), jwks, conf.seconds("JWKS_CACHE"))
        key = _keys_from(jwks).get(kid)
    return key
