"""The second half of the fresh-site test (scripts/fresh_site.sh), run inside the new site: the
Saleor App install through the manifest flow, real Saleor 3.23 deliveries, one `masa_worker`
round, and the thank-you email. Saleor is faked at the httpx edge only; mail goes to locmem.

Test-only overrides, on top of the README's settings: the captured store's API URL is allowed
(the captures come from a Saleor at 127.0.0.1:8811), deliveries are not refused for their age
(the captures are from 2026-12-01), and email goes to Django's locmem outbox.
"""
import json
import os
import sys
from pathlib import Path

import django

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from masa.models import Delivery, InboundDelivery, SaleorApp, StoreEvent  # noqa: E402
from masa.saleor import client as saleor_client  # noqa: E402
from masa.signals import saleor_keys  # noqa: E402

CAPTURED = Path(os.environ.get("MASA_SHARED_DIR", "../shared")) / "saleor" / "captured-3.23"
API, DOMAIN = "http://127.0.0.1:8811/graphql/", "127.0.0.1:8811"


def fake_saleor(request: httpx.Request) -> httpx.Response:
    """Saleor's API, as far as the install needs it: the app's token names the app (installed from
    Masa's manifest id) and the store's own domain."""
    query = json.loads(request.content)["query"]
    assert "AppIdentity" in query and request.headers["authorization"] == "Bearer token-from-saleor", query
    return httpx.Response(200, json={"data": {"app": {"id": "QXBwOjE=", "identifier": "io.masa.journeys"},
                                              "shop": {"domain": {"host": DOMAIN}}}})


def jwks(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=json.loads((CAPTURED / "jwks.json").read_text()))


def check(condition, what):
    if not condition:
        sys.exit(f"fresh site: FAILED: {what}")
    print(f"fresh site: {what}")


def main():
    setup_test_environment()
    saleor_client.DEFAULT_TRANSPORT = httpx.MockTransport(fake_saleor)
    saleor_keys.transport = httpx.MockTransport(jwks)
    masa = {**settings.MASA, "SALEOR_APP_API_URLS": [*settings.MASA["SALEOR_APP_API_URLS"], API],
            "WEBHOOK_MAX_AGE": None}
    with override_settings(MASA=masa, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        client = Client()
        manifest = client.get("/masa/saleor/manifest/").json()
        check(manifest["tokenTargetUrl"] == "https://cms.example.com/masa/saleor/register/", "manifest served")
        registered = client.post("/masa/saleor/register/", data=json.dumps({"auth_token": "token-from-saleor"}),
                                 content_type="application/json", HTTP_SALEOR_API_URL=API, HTTP_SALEOR_DOMAIN=DOMAIN)
        check(registered.status_code == 200 and SaleorApp.objects.filter(domain=DOMAIN).exists(),
              "installed through the manifest flow")
        for name in ("001_customer_created", "007_order_created"):
            headers = json.loads((CAPTURED / f"{name}.headers.json").read_text())
            meta = {"HTTP_" + key.upper().replace("-", "_"): value for key, value in headers.items()
                    if key.lower() != "content-type"}
            answer = client.post("/masa/webhooks/saleor/", data=(CAPTURED / f"{name}.body.json").read_bytes(),
                                 content_type="application/json", **meta)
            check(answer.status_code == 200, f"{name} accepted ({answer.json().get('status')})")
        check(InboundDelivery.objects.exclude(status="rejected").count() == 2,
              "webhooks stored, waiting for the worker")
        call_command("masa_worker", "--once")
        check(StoreEvent.objects.filter(name="order_placed", status="processed").exists()
              and not InboundDelivery.objects.filter(status="received").exists(), "the worker read and evaluated them")
        sent = [message for message in mail.outbox if message.to == ["e2e.alice@example.com"]]
        check(sent and Delivery.objects.filter(status="sent").exists(), f"email sent: {sent[0].subject if sent else '-'}")


if __name__ == "__main__":
    main()
