"""Which store a customer, an event or a token belongs to.

A site can serve several Saleor stores; a customer is (store, store id), where the store is the
domain its webhooks are verified against, lower case. The site's own in-process store (Django
signals) is the empty store. Everything that names a store goes through ``store_key`` so that
``Shop.Example.com`` and ``shop.example.com`` are one store.
"""
from __future__ import annotations

from urllib.parse import urlsplit

IN_PROCESS = ""


def store_key(domain: str | None) -> str:
    """The store's key: its domain (host and port), lower case, without spaces."""
    return (domain or "").strip().lower()


def domain_of(api_url: str | None) -> str:
    """The store key of a Saleor API URL (``https://Shop.example.com/graphql/`` → ``shop.example.com``)."""
    return store_key(urlsplit(api_url or "").netloc)
