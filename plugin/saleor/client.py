"""A GraphQL client for Saleor's API on httpx, sync and async, in the style of saleor-sdk.

Operations are the ``.graphql`` documents beside this module (validated against Saleor's schema
in the tests); resources group them (``client.customers``, ``client.vouchers`` …, see
``resources.py``) as flows that both clients drive, so each method exists once for sync and async. Apps authenticate with ``Authorization: Bearer <token>``. Network errors,
timeouts and 5xx answers are retried with exponential backoff and jitter; 4xx answers and
GraphQL errors are not (retrying would not change them).
"""
from __future__ import annotations

import asyncio
import random
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Generator

import httpx

from .errors import (SaleorError, SaleorGraphQLError, SaleorMutationError, SaleorRequestError,  # noqa: F401
                     SaleorUnavailable)
from .resources import Checkouts, Customers, GiftCards, Orders, Vouchers, Webhooks

DOCUMENTS = Path(__file__).with_name("graphql")
# The transport clients use when none is given (tests put a fake Saleor here, at the network edge).
DEFAULT_TRANSPORT: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None


@lru_cache(maxsize=None)
def document(name: str) -> str:
    """The text of ``graphql/<name>.graphql``."""
    return (DOCUMENTS / f"{name}.graphql").read_text()


class _Base:
    def __init__(self, api_url: str, token: str = "", *, timeout: float = 10.0, retries: int = 3,
                 backoff: float = 0.5, transport=None):
        self.api_url = api_url
        self.retries, self.backoff = retries, backoff
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._options = dict(headers=headers, timeout=timeout, transport=transport or DEFAULT_TRANSPORT)
        self.customers, self.orders, self.checkouts = Customers(self), Orders(self), Checkouts(self)
        self.vouchers, self.gift_cards, self.webhooks = Vouchers(self), GiftCards(self), Webhooks(self)

    def _delay(self, attempt: int) -> float:
        return self.backoff * 2 ** attempt * random.uniform(0.5, 1.5)

    @staticmethod
    def _result(name: str, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise SaleorRequestError(name, response.status_code, response.text) from None
        if response.status_code in (401, 403):  # the token itself was refused, whatever the body says
            raise SaleorRequestError(name, response.status_code, response.text)
        if body.get("errors"):
            raise SaleorGraphQLError(name, body["errors"])
        if response.is_error:
            raise SaleorRequestError(name, response.status_code, response.text)
        return body.get("data") or {}

    def _exchange(self, name: str, variables: dict):
        """The retry policy, shared by both clients: yields ("post", payload) and receives the
        response or the transport error, or yields ("sleep", seconds); returns the ``data``."""
        payload = {"query": document(name), "variables": variables}
        for attempt in range(self.retries + 1):
            reply = yield "post", payload
            if isinstance(reply, httpx.Response):
                if reply.status_code < 500:
                    return self._result(name, reply)
                failure = f"HTTP {reply.status_code}"
            else:
                failure = f"{reply.__class__.__name__}: {reply}"
            if attempt < self.retries:
                yield "sleep", self._delay(attempt)
        raise SaleorUnavailable(f"{name}: Saleor unreachable after {self.retries + 1} attempts ({failure})")


class SaleorClient(_Base):
    """Blocking client: ``SaleorClient(api_url, token).customers.update_private_metadata(...)``."""

    def __init__(self, *args, sleep: Callable[[float], None] = time.sleep, **kwargs):
        super().__init__(*args, **kwargs)
        self._sleep = sleep
        self._http = httpx.Client(**self._options)

    def execute(self, name: str, variables: dict | None = None) -> dict:
        """Run the named document; returns its ``data``."""
        steps, reply = self._exchange(name, variables or {}), None
        try:
            while True:
                action, argument = steps.send(reply)
                if action == "sleep":
                    reply = self._sleep(argument)
                    continue
                try:
                    reply = self._http.post(self.api_url, json=argument)
                except httpx.TransportError as error:
                    reply = error
        except StopIteration as done:
            return done.value

    def drive(self, flow: Generator[tuple[str, dict], dict, Any]) -> Any:
        """Run a resource flow: it yields (document, variables) and receives each ``data``."""
        try:
            request = next(flow)
            while True:
                request = flow.send(self.execute(*request))
        except StopIteration as done:
            return done.value

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncSaleorClient(_Base):
    """Asyncio client with the same resources; every method returns an awaitable."""

    def __init__(self, *args, sleep=asyncio.sleep, **kwargs):
        super().__init__(*args, **kwargs)
        self._sleep = sleep
        self._http = httpx.AsyncClient(**self._options)

    async def execute(self, name: str, variables: dict | None = None) -> dict:
        steps, reply = self._exchange(name, variables or {}), None
        try:
            while True:
                action, argument = steps.send(reply)
                if action == "sleep":
                    reply = await self._sleep(argument)
                    continue
                try:
                    reply = await self._http.post(self.api_url, json=argument)
                except httpx.TransportError as error:
                    reply = error
        except StopIteration as done:
            return done.value

    async def drive(self, flow: Generator[tuple[str, dict], dict, Any]) -> Any:
        try:
            request = next(flow)
            while True:
                request = flow.send(await self.execute(*request))
        except StopIteration as done:
            return done.value

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()
