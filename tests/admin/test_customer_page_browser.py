"""The customer page in a real browser, in English and Hebrew, on a laptop and a phone: the next
90 days, and the erasure set apart at the end as a danger zone that fits the screen
(screenshots in ``artifacts/screenshots/30-customer-*``)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import Customer
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file

from ..helpers import place_order
from .test_admin_browser import CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM


def test_the_customer_page_in_both_languages_and_widths(browser_page, client, signing_store, email_channel):
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store, when=timezone.now() - timedelta(days=3),
                lines=[("Pads", "absorbent", 2, 30), ("Walker", "walking-aids", 1, 120)])
    customer = Customer.objects.get()
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna", widths=(1280, 390)):
        page.goto(f"/admin/masa/customers/{customer.pk}/?next=90")
        zone = page.locator("main .masa-danger-zone")
        assert zone.is_visible() and zone.locator("input[name=confirm_email]").is_visible()
        assert page.locator("main .masa-staff").evaluate(
            "staff => !!(staff.compareDocumentPosition(document.querySelector('.masa-danger-zone')) & 4)")
        box = zone.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (language, width, box)
        shot(page, f"30-customer-{language}-{width}")
        zone.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"30-customer-{language}-{width}-erase.png"))
