"""The owner reads, under a cancelled order on the customer's timeline, what it took back (issue
31, item 5): the tier and the tag its rules set, and the journey that can start again — in
English and Hebrew, on a laptop and a phone (screenshots ``artifacts/screenshots/31-taken-back-*``)."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.actions.due import sweep
from masa.models import Customer
from masa.packs import load_pack_file
from masa.packs.installer import import_pack

from ..helpers import customer_payload, order_payload, post_signed
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in  # noqa: F401
from .test_customer_timeline_browser import fits, tall_shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM
STARTER = Path(__file__).resolve().parents[2] / "packs" / "ecommerce-starter" / "pack.yaml"


def test_a_cancelled_order_says_what_it_took_back(browser_page, client, signing_store):
    import_pack(load_pack_file(STARTER))
    now = timezone.now()
    post_signed(client, signing_store, "customer_created", customer_payload())
    post_signed(client, signing_store, "order_created", order_payload(order_id="T3JkZXI6YQ==", when=now - timedelta(days=9),
                                                                      lines=[("Mug", "mugs", 1, 12.0)]))
    second = order_payload(order_id="T3JkZXI6Yg==", when=now - timedelta(days=4), lines=[("Mug", "mugs", 1, 12.0)])
    post_signed(client, signing_store, "order_created", second)
    sweep(now=timezone.now())
    post_signed(client, signing_store, "order_cancelled", {**second, "issuedAt": timezone.now().isoformat()})
    customer = Customer.objects.get()
    assert "tier" not in customer.facts and "returning" not in customer.tags

    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        page.goto(reverse("masa_customer", args=[customer.pk]))
        line = page.locator(".masa-line--cancelled").first
        line.locator("details.masa-why > summary").click()
        why = line.locator("details.masa-why").inner_text()
        if language == "en":
            assert "Taken back with the order: tier cleared" in why
            assert "Taken back with the order: tag returning removed" in why
        assert "returning" in why and fits(page, width), (language, width)
        tall_shot(page, f"31-taken-back-{language}-{'wide' if width > 400 else 'phone'}", width)
