"""Installed the way Saleor apps install: the dashboard reads Masa's manifest, Saleor POSTs the
app's token to the register URL, and Masa takes it from an allowed store only, checks it with
that store's API (a fake Saleor at the httpx edge), keeps it encrypted, and listens to the store."""
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse

from masa.models import InboundDelivery, SaleorApp, StoreEvent
from masa.saleor import client as saleor_client
from masa.saleor import installation
from masa.saleor.webhooks import subscription_events

from ..helpers import customer_payload, editor, order_payload, post_webhook, typename_for, viewer
from ..saleor_fake import FakeSaleor, saleor_schema, schema_problems

pytestmark = pytest.mark.django_db

SHOP, SHOP_API = "shop.example.com", "https://shop.example.com/graphql/"
# Saleor's AppExtensionMount values (saleor/app/types.py) for the pages Masa extends.
MOUNTS = {"CUSTOMER_DETAILS_MORE_ACTIONS", "ORDER_DETAILS_MORE_ACTIONS"}
TARGETS = {"POPUP", "APP_PAGE", "NEW_TAB", "WIDGET"}


@pytest.fixture
def allowed_shop(settings):
    settings.MASA = {**settings.MASA, "SALEOR_APP_API_URLS": [SHOP_API], "PUBLIC_URL": "https://cms.shop.example"}


@pytest.fixture
def fake_saleor(monkeypatch):
    def serve(**answers):
        fake = FakeSaleor(**answers)
        monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", fake.transport())
        return fake
    return serve


# What the store answers for Masa's token (app_identity.graphql): the app, installed from Masa's
# manifest, and the store's own domain.
APP = {"app": {"id": "QXBwOjc=", "identifier": installation.APP_ID}, "shop": {"domain": {"host": SHOP}}}


def install(client, token="app-token-1", api_url=SHOP_API, domain=SHOP):
    return client.post(reverse("masa:saleor-register"), data=json.dumps({"auth_token": token}),
                       content_type="application/json", HTTP_SALEOR_API_URL=api_url, HTTP_SALEOR_DOMAIN=domain)


def test_the_manifest_is_what_saleor_accepts(client, allowed_shop):
    manifest = client.get(reverse("masa:saleor-manifest")).json()
    assert {"id", "version", "name", "tokenTargetUrl"} <= set(manifest)
    assert manifest["tokenTargetUrl"] == "https://cms.shop.example/masa/saleor/register/"
    permissions = set(saleor_schema().get_type("PermissionEnum").values)
    assert set(manifest["permissions"]) <= permissions
    assert re.fullmatch(r"[<>=^~ ]*\d+\.\d+(\.\d+)?", manifest["requiredSaleorVersion"])
    async_events = set(saleor_schema().get_type("WebhookEventTypeAsyncEnum").values)
    for webhook in manifest["webhooks"]:
        assert {"name", "targetUrl", "query"} <= set(webhook) and webhook["isActive"] is True
        assert schema_problems(webhook["query"]) == [], webhook["name"]
        assert set(webhook["asyncEvents"]) == set(subscription_events(webhook["query"])) and \
            set(webhook["asyncEvents"]) <= async_events
        assert urlsplit(webhook["targetUrl"]).scheme == "https"
    assert {"ORDER_CREATED", "ORDER_CANCELLED", "ORDER_FULLY_REFUNDED", "CHECKOUT_UPDATED", "CUSTOMER_CREATED",
            "APP_DELETED"} <= {event for webhook in manifest["webhooks"] for event in webhook["asyncEvents"]}
    for extension in manifest["extensions"]:
        assert {"label", "url", "mount"} <= set(extension)
        assert extension["mount"] in MOUNTS and extension["target"] in TARGETS
        assert set(extension["permissions"]) <= set(manifest["permissions"])
        assert urlsplit(extension["url"]).scheme == "https"


def test_an_allowed_store_installs_and_its_token_is_checked_and_kept_encrypted(client, allowed_shop, fake_saleor):
    fake = fake_saleor(AppIdentity=APP)
    response = install(client)
    assert response.status_code == 200 and response.json() == {"success": True, "domain": SHOP}
    assert fake.requests[0]["authorization"] == "Bearer app-token-1"
    app = SaleorApp.objects.get()
    assert app.status == "installed" and app.app_id == "QXBwOjc=" and app.api_url == SHOP_API
    assert "app-token-1" not in app.token_encrypted and installation.decrypt(app.token_encrypted) == "app-token-1"
    assert installation.credentials(SHOP) == (SHOP_API, "app-token-1")

    fake_saleor(AppIdentity=APP)
    install(client, token="app-token-2")
    assert SaleorApp.objects.count() == 1 and installation.credentials(SHOP) == (SHOP_API, "app-token-2")


@pytest.mark.parametrize("api_url, answer, status, code", [
    ("https://evil.example/graphql/", APP, 403, "store_not_allowed"),
    (SHOP_API, httpx.Response(401, json={"errors": [{"message": "bad token"}]}), 400, "token_not_accepted"),
    (SHOP_API, {"app": None}, 400, "token_not_accepted"),
])
def test_a_token_from_elsewhere_or_one_the_store_refuses_is_not_kept(client, allowed_shop, fake_saleor, api_url, answer,
                                                                      status, code):
    fake_saleor(AppIdentity=answer)
    response = install(client, api_url=api_url)
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert not SaleorApp.objects.exists()
    assert InboundDelivery.objects.get().reason.startswith(f"install_{code}")


def test_an_installed_store_is_listened_to_until_it_deletes_the_app(client, allowed_shop, fake_saleor, signer,
                                                                     key_server):
    key_server.jwks = signer.jwks
    fake_saleor(AppIdentity=APP)
    install(client)

    def deliver(event, payload):
        body = json.dumps({"__typename": typename_for(event), **payload}).encode()
        return post_webhook(client, body, signer.headers(event, body, SHOP, SHOP_API))

    assert deliver("customer_created", customer_payload()).status_code == 200
    assert deliver("order_created", order_payload()).status_code == 200
    assert StoreEvent.objects.filter(name="order_placed").exists()

    assert deliver("app_deleted", {"issuedAt": "2026-12-01T00:00:00+00:00", "app": {"id": "QXBwOjc="}}).status_code == 200
    app = SaleorApp.objects.get()
    assert app.status == "uninstalled" and app.token_encrypted == "" and installation.credentials(SHOP) is None
    refused = deliver("order_created", order_payload())
    assert refused.status_code == 403 and refused.json()["error"] == "unknown_domain"


def test_a_token_the_store_no_longer_accepts_marks_the_store(client, allowed_shop, fake_saleor):
    from masa.models import Customer
    from masa.saleor.actions import ActionRefused, write_customer_metadata

    fake_saleor(AppIdentity=APP)
    install(client)
    fake_saleor(UpdatePrivateMetadata=httpx.Response(401, json={"errors": [{"message": "revoked"}]}))
    customer = Customer.objects.create(email="ruth@example.com", store_id="VXNlcjo5OQ==")
    with pytest.raises(ActionRefused):
        write_customer_metadata(customer, ["tier"])
    assert SaleorApp.objects.get().status == "token_rejected"


def test_two_stores_each_keep_their_own_token(client, settings, fake_saleor):
    other, other_api = "other.example.com", "https://other.example.com/graphql/"
    settings.MASA = {**settings.MASA, "SALEOR_APP_API_URLS": [SHOP_API, other_api]}
    fake_saleor(AppIdentity=[APP, {"app": {**APP["app"], "id": "QXBwOjg="}, "shop": {"domain": {"host": other}}}])
    install(client, token="shop-token")
    install(client, token="other-token", api_url=other_api, domain=other)
    assert installation.credentials(SHOP) == (SHOP_API, "shop-token")
    assert installation.credentials(other) == (other_api, "other-token")


def test_the_stores_page_shows_status_and_never_the_token(client, allowed_shop, fake_saleor):
    fake_saleor(AppIdentity=APP)
    install(client)
    client.force_login(viewer())
    page = client.get(reverse("masa_saleor_stores")).content.decode()
    assert SHOP in page and "Installed" in page and "https://cms.shop.example/masa/saleor/manifest/" in page
    assert "app-token-1" not in page and SaleorApp.objects.get().token_encrypted not in page


def test_the_dashboards_extension_opens_the_customers_timeline(client, allowed_shop, signing_store):
    from masa.models import Customer

    from ..helpers import post_signed

    import base64

    post_signed(client, signing_store, "customer_created", customer_payload())
    payload = order_payload(order_id=base64.b64encode(b"Order:5fc601e1-e7f4").decode())
    post_signed(client, signing_store, "order_created", payload)
    customer = Customer.objects.get()
    client.force_login(editor())
    url = reverse("masa_customer_from_saleor")
    timeline = reverse("masa_customer", args=[customer.pk])
    assert client.get(url, {"id": customer.store_id})["Location"] == timeline
    assert client.get(url, {"id": payload["order"]["id"]})["Location"] == timeline
    assert client.get(url, {"id": "VXNlcjoxMjM0NQ=="})["Location"] == reverse("masa_customers")
