import json
import os
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.test import TestCase

from masa.models import Channel, MessageTemplate, Rule
from masa.signals import saleor_keys
from masa.signals.saleor_signing import SaleorSigner

SHARED = Path(os.environ.get("MASA_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
CAPTURED = SHARED / "saleor" / "captured"
STORE_DOMAIN = "localhost:8000"
STORE_API_URL = "http://localhost:8000/graphql/"


def at_once(count: int, work) -> None:
    """Run ``work()`` in ``count`` threads released together; each closes its own DB connection."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def captured_deliveries():
    return sorted(p.name.removesuffix(".body.json") for p in CAPTURED.glob("*.body.json"))


def load_captured(name):
    body = (CAPTURED / f"{name}.body.json").read_bytes()
    headers = json.loads((CAPTURED / f"{name}.headers.json").read_text())
    return body, headers


class KeyServer:
    """The store's JWKS endpoint, mocked at the network edge (httpx transport)."""

    def __init__(self):
        self.jwks = json.loads((CAPTURED / "jwks.json").read_text())
        self.requests = []
        self.fail = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.fail:
            return httpx.Response(502, text="bad gateway")
        if request.url.path != "/.well-known/jwks.json":
            return httpx.Response(404)
        return httpx.Response(200, json=self.jwks)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key_server(monkeypatch):
    server = KeyServer()
    monkeypatch.setattr(saleor_keys, "transport", httpx.MockTransport(server.handler))
    return server


@pytest.fixture(scope="session")
def signer():
    return SaleorSigner.generate(kid="test-key")


@pytest.fixture
def signing_store(key_server, signer):
    """The key server publishes both the captured Saleor's key and our test signer's key."""
    key_server.jwks = {"keys": key_server.jwks["keys"] + signer.jwks["keys"]}
    return signer


def post_webhook(client, body: bytes, headers: dict):
    meta = {}
    for name, value in headers.items():
        if name.lower() in ("content-type", "content-length", "host"):
            continue
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    content_type = headers.get("Content-Type", "application/json")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/masa/webhooks/saleor/", data=body, content_type=content_type, **meta)


def post_captured(client, name):
    body, headers = load_captured(name)
    return post_webhook(client, body, headers)


def typename_for(event: str) -> str:
    """``order_fully_paid`` → ``OrderFullyPaid``: the ``__typename`` Saleor signs for an event."""
    return "".join(part.capitalize() for part in event.split("_"))


def post_signed(client, signer, event: str, payload: dict):
    """Sign and post a payload as Saleor sends ``event`` (its ``__typename`` set to match)."""
    if isinstance(payload, dict):
        payload = {"__typename": typename_for(event), **{k: v for k, v in payload.items() if k != "__typename"}}
    body = json.dumps(payload).encode()
    return post_webhook(client, body, signer.headers(event, body, STORE_DOMAIN, STORE_API_URL))


@pytest.fixture
def email_channel(db):
    return Channel.objects.create(name="Shop email", kind=Channel.Kind.EMAIL, config={"from_email": "care@shop.example"})


@pytest.fixture
def refill_rule(db):
    MessageTemplate.objects.create(
        key="refill-absorbent",
        subject="Time to restock, {{ customer.first_name }}?",
        body="Hi {{ customer.first_name }}, your order #{{ order.number }} will run out soon.",
    )
    return Rule.objects.create(
        rule_id="refill-absorbent",
        title="Absorbent products refill",
        definition={
            "trigger": {"event": "order_placed", "category": "absorbent"},
            "steps": [
                {"wait": "25d"},
                {"check": {"not_bought_since": {"category": "absorbent"}}},
                {"send": {"channel": "email", "template": "refill-absorbent"}},
            ],
        },
    )


@pytest.fixture
def provider(monkeypatch):
    """Records requests; answers with ``provider.respond(request)`` if set, else ``provider.answers``
    in turn (a Response or an exception), else 200."""
    class Provider:
        requests: list[httpx.Request] = []
        answers: list = []
        respond = None

        def __call__(self, request):
            self.requests.append(request)
            if self.respond is not None:
                return self.respond(request)
            answer = self.answers.pop(0) if self.answers else httpx.Response(200, json={"id": "msg-1", "sid": "SM1"})
            if isinstance(answer, Exception):
                raise answer
            return answer

    from masa.channels import http

    fake = Provider()
    monkeypatch.setattr(http, "_transport", httpx.MockTransport(fake))
    return fake


@pytest.fixture
def saleor_app(settings, monkeypatch):
    """The test store gets an app token; ``saleor_app(**answers)`` serves a FakeSaleor to every
    Saleor client (at the httpx transport) and returns it."""
    from masa.saleor import client as saleor_client

    from .saleor_fake import FakeSaleor

    stores = [{**store, "app_token": "app-token", "retry_backoff": 0} for store in settings.MASA["SALEOR_STORES"]]
    settings.MASA = {**settings.MASA, "SALEOR_STORES": stores}

    def serve(**answers):
        fake = FakeSaleor(**answers)
        monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", fake.transport())
        return fake
    return serve
