"""The Saleor webhook view: real captured deliveries verify and normalize; bad ones are refused."""

import pytest

from masa.models import Customer, InboundDelivery, StoreEvent

from ..helpers import captured_deliveries, load_captured, post_captured, post_signed, post_webhook
from ..helpers import customer_payload, order_payload

pytestmark = pytest.mark.django_db

EXPECTED_EVENTS = {
    "customer_created": ["customer_created"],
    "customer_updated": ["customer_updated"],
    "customer_metadata_updated": ["customer_updated"],
    "checkout_created": ["checkout_updated"],
    "checkout_updated": ["checkout_updated"],
    "order_created": ["order_placed", "category_bought", "category_bought", "category_bought", "category_bought",
                      "product_bought", "product_bought"],
    "order_confirmed": [],
    "order_fully_paid": ["order_paid"],
    "order_updated": [],
    "order_fulfilled": ["order_fulfilled"],
}


@pytest.mark.parametrize("name", captured_deliveries())
def test_every_captured_delivery_verifies_and_normalizes(client, key_server, name):
    response = post_captured(client, name)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    inbound = InboundDelivery.objects.get()
    event_type = name.split("_", 1)[1]
    assert inbound.status == "accepted" and inbound.event_type == event_type
    assert inbound.body.encode() == load_captured(name)[0]
    assert sorted(StoreEvent.objects.values_list("name", flat=True)) == sorted(EXPECTED_EVENTS[event_type])


def test_order_created_gives_one_category_bought_per_category_and_parent(client, key_server):
    post_captured(client, "006_order_created")

    placed = StoreEvent.objects.get(name="order_placed")
    assert placed.data["number"] == "21"
    assert placed.data["categories"] == ["juices", "groceries", "t-shirts", "shirts"]
    assert placed.customer.email == "jane.doe@example.com"
    assert placed.customer.store_id == "VXNlcjo0Ng=="
    bought = {e.data["category"]: e.data["quantity"] for e in StoreEvent.objects.filter(name="category_bought")}
    assert bought == {"juices": 1, "groceries": 1, "t-shirts": 2, "shirts": 2}


@pytest.mark.parametrize("name", captured_deliveries())
def test_a_changed_byte_is_rejected(client, key_server, name):
    body, headers = load_captured(name)
    tampered = body.replace(b"jane", b"jana", 1) if b"jane" in body else body[:-1] + b" }"

    response = post_webhook(client, tampered, headers)

    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert StoreEvent.objects.count() == 0
    assert InboundDelivery.objects.get().status == "rejected"


def test_the_same_delivery_twice_is_stored_once(client, key_server):
    first = post_captured(client, "006_order_created")
    second = post_captured(client, "006_order_created")

    assert first.json()["status"] == "accepted"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert StoreEvent.objects.filter(name="order_placed").count() == 1
    assert InboundDelivery.objects.count() == 1


def _headers_without(name, *drop, **replace):
    body, headers = load_captured(name)
    headers = {k: v for k, v in headers.items() if k not in drop and k.removeprefix("X-") not in drop}
    headers.update(replace)
    return body, headers


@pytest.mark.parametrize(
    "drop, replace, status, code",
    [
        (("Saleor-Signature",), {}, 401, "missing_signature"),
        ((), {"Saleor-Domain": "evil.example", "X-Saleor-Domain": "evil.example"}, 403, "unknown_domain"),
        ((), {"Saleor-Api-Url": "https://evil.example/graphql/", "X-Saleor-Api-Url": "x"}, 403, "api_url_mismatch"),
        ((), {"Saleor-Signature": "not-a-jws", "X-Saleor-Signature": "x"}, 401, "malformed_signature"),
        (("Saleor-Event",), {}, 400, "missing_event"),
        ((), {"Saleor-Event": "product_created", "X-Saleor-Event": "x"}, 400, "unknown_event"),
        ((), {"Content-Type": "text/plain"}, 415, "unsupported_content_type"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason_and_are_recorded(client, key_server, drop, replace, status, code):
    body, headers = _headers_without("006_order_created", *drop, **replace)

    response = post_webhook(client, body, headers)

    assert response.status_code == status
    assert response.json()["error"] == code
    rejected = InboundDelivery.objects.get()
    assert rejected.status == "rejected" and rejected.reason.startswith(code)
    assert StoreEvent.objects.count() == 0


def test_signed_but_invalid_json_is_rejected(client, signing_store):
    body = b'{"order": '
    headers = signing_store.headers("order_created", body, "localhost:8000", "http://localhost:8000/graphql/")
    response = post_webhook(client, body, headers)
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"


def test_signed_json_of_the_wrong_shape_is_rejected(client, signing_store):
    payload = order_payload()
    del payload["order"]["id"]
    response = post_signed(client, signing_store, "order_created", payload)
    assert response.status_code == 400
    assert response.json() == {"error": "wrong_shape", "detail": "order.id is missing"}


def test_a_key_the_store_does_not_publish_is_rejected(client, key_server, signer):
    response = post_signed(client, signer, "order_created", order_payload())
    assert response.status_code == 401 and response.json()["error"] == "unknown_key"


def test_jwks_is_fetched_once_then_cached(client, key_server):
    post_captured(client, "001_customer_created")
    post_captured(client, "006_order_created")
    assert key_server.requests == ["http://localhost:8000/.well-known/jwks.json"]


def test_an_unknown_key_id_refreshes_the_jwks_once(client, key_server, signer):
    post_captured(client, "001_customer_created")
    key_server.jwks = {"keys": key_server.jwks["keys"] + signer.jwks["keys"]}

    assert post_signed(client, signer, "order_created", order_payload()).status_code == 200
    assert post_signed(client, signer, "order_created", order_payload()).status_code == 200
    assert len(key_server.requests) == 2


def test_an_unreachable_key_server_answers_503_so_saleor_retries(client, key_server):
    key_server.fail = True
    response = post_captured(client, "006_order_created")
    assert response.status_code == 503 and response.json()["error"] == "keys_unavailable"
    assert StoreEvent.objects.count() == 0


def test_an_oversized_body_is_rejected_before_parsing(client, key_server, settings):
    settings.MASA = {**settings.MASA, "MAX_WEBHOOK_BYTES": 100}
    response = post_captured(client, "006_order_created")
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_get_is_not_allowed(client):
    assert client.get("/masa/webhooks/saleor/").status_code == 405


def test_the_customers_phone_comes_from_the_saleor_address(client, signing_store):
    payload = customer_payload()
    payload["user"]["defaultBillingAddress"] = {"phone": "+972501234567"}
    post_signed(client, signing_store, "customer_created", payload)
    assert Customer.objects.get().phone == "+972501234567"
    order = order_payload(email="dana@example.com", user_id="VXNlcjoxMDA=")
    order["order"]["billingAddress"] = {"phone": "+972509999999"}
    post_signed(client, signing_store, "order_created", order)
    assert Customer.objects.get(email="dana@example.com").phone == "+972509999999"
