"""Fixtures; the helpers they use are in tests/helpers.py."""
import httpx
import pytest
from django.core.cache import cache

from masa.models import Channel, MessageTemplate, Rule
from masa.signals import saleor_keys
from masa.signals.saleor_signing import SaleorSigner

from .helpers import KeyServer


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


@pytest.fixture
def ruth(client, signing_store, refill_rule):
    """Ruth, after a signed order of absorbent pads (the refill rule has planned her reminder)."""
    from masa.models import Customer

    from .helpers import place_order

    place_order(client, signing_store)
    return Customer.objects.get(email="ruth@example.com")


@pytest.fixture
def every_page(client, signing_store, refill_rule, email_channel):
    """Every Masa admin page as (URL name, URL), filled from a shop with a pack, an order, a rule
    revision, a job and a broadcast (``helpers.every_journeys_page``)."""
    from django.utils import timezone

    from masa.models import Broadcast, Customer, Job
    from masa.packs.installer import import_pack
    from masa.packs.loader import load_pack_file

    from .helpers import every_journeys_page, place_order

    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store)
    refill_rule.save_revision()
    job = Job.objects.create(kind="simulate", title="Simulate", created_by="edna", rule=refill_rule)
    broadcast = Broadcast.objects.create(rule=refill_rule, send_at=timezone.now(), created_by="edna")
    return every_journeys_page([refill_rule], email_channel, Customer.objects.get(), pack_id="senior-care", job=job,
                               broadcast=broadcast, names=True)


@pytest.fixture
def pending(ruth, refill_rule):
    """Ruth's refill reminder, planned by her order and waiting."""
    from masa.models import ScheduledAction

    action = ScheduledAction.objects.get(rule=refill_rule)
    assert action.status == "pending"
    return action
