"""Pack subscriptions in a real browser, in English and Hebrew, on a laptop and a phone: one
subscription offering a new version, one whose check was refused (a downgrade) under *Needs
attention*; the editor subscribes through the form and checks now (screenshots
``artifacts/screenshots/31-subscriptions-*``)."""
import httpx
import pytest

from masa.models import PackSubscription
from masa.packs import subscriptions

from ..packs.test_pack_subscriptions import URL, Agency, installed, release
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_every_page_at_phone_width import OUT_OF_REACH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM
MACHINES = "https://agency.example/machines/pack.yaml"


def test_subscriptions_in_both_languages_and_widths(browser_page, monkeypatch):
    agency = Agency()
    monkeypatch.setattr(subscriptions, "_transport", httpx.MockTransport(agency.handler))
    installed("1.2.0")
    installed("2.0.0", pack_id="espresso-machines", title="Espresso machines")
    agency.publish(release("1.3.0"))
    agency.publish(release("1.9.0", pack_id="espresso-machines", title="Espresso machines"), url=MACHINES)
    page = browser_page
    log_in(page)

    page.goto("/admin/masa/packs/subscriptions/")
    page.fill("#id_url", URL)
    page.fill("#id_public_key", agency.public)
    page.click(".masa-subscribe-form button[type=submit]")
    page.wait_for_url("**/subscriptions/#subscription-*")
    assert "Version \u20681.3.0\u2069 is available" in page.locator(".messages").inner_text()
    broken = PackSubscription.objects.create(url=MACHINES, public_key=agency.public)
    subscriptions.check(broken)
    page.goto("/admin/masa/packs/subscriptions/")
    page.locator(f"#subscription-{broken.pk} button", has_text="Check now").click()
    assert "older version" in page.locator(".messages").inner_text()

    for language, width in each_language_and_width(page, "edna"):
        page.goto("/admin/masa/packs/subscriptions/")
        assert page.locator(".masa-subscription-list tbody tr").count() == 2
        assert page.locator("[data-status=available] a.button").get_attribute("href").endswith(
            f"?subscription={PackSubscription.objects.get(url=URL).pk}")
        measured = page.evaluate(OUT_OF_REACH)
        assert measured["page"] <= measured["width"] + 1 and not measured["found"], measured
        shot(page, f"31-subscriptions-{language}-{'wide' if width > 400 else 'phone'}")
        page.goto("/admin/masa/failures/")
        section = page.locator(".masa-attention-section[data-kind=subscriptions]")
        assert section.locator(".masa-attention-group").count() == 1
        section.locator("a.button").click()
        page.wait_for_url(f"**/subscriptions/#subscription-{broken.pk}")
        if width < 400:
            shot(page, f"31-subscriptions-opened-from-needs-attention-{language}-phone")
