"""The home panel and the Results page in a real browser, in English and Hebrew, on a laptop and
a phone: a store sends signed orders over HTTP, an A/B split sends each customer one version, some
order again; the owner reads the home panel, follows it to the results, reads the split and chooses
a winner, confirming on the page that asks first (screenshots ``30-home-*``, ``30-results-*``)."""
import json

import httpx
import pytest
from django.core.management import call_command

from masa.models import MessageTemplate, Rule

from ..helpers import STORE_API_URL, STORE_DOMAIN, customer_payload, order_payload
from .test_admin_browser import CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

# An A/B split of an offer, a thank-you with 30 % held out, a rule that only tags (bookkeeping).
SPLIT = {"trigger": {"event": "order_placed"}, "steps": [
    {"split": {"a": {"share": 50, "steps": [{"send": {"template": "offer-short"}}]},
               "b": {"share": 50, "steps": [{"send": {"template": "offer-long"}}]}}}]}


def deliver(live_server, signer, event, payload):
    body = json.dumps(payload).encode()
    response = httpx.post(f"{live_server.url}/masa/webhooks/saleor/", content=body,
                          headers=signer.headers(event, body, STORE_DOMAIN, STORE_API_URL), timeout=30)
    assert response.status_code == 200, response.text


def a_month_of_orders(live_server, signer):
    """Eight customers order; the demo's worker sends each one version of the split; three of them
    order again."""
    for number in range(8):
        user_id, email = f"VXNlcjo{number + 100}", f"c{number}@example.com"
        deliver(live_server, signer, "customer_created",
                customer_payload(user_id=user_id, email=email, first=f"Dana{number}"))
        deliver(live_server, signer, "order_created", order_payload(user_id=user_id, email=email))
    call_command("masa_sweep")
    for number in (0, 1, 2):
        deliver(live_server, signer, "order_created",
                order_payload(user_id=f"VXNlcjo{number + 100}", email=f"c{number}@example.com",
                              lines=[("Pads XL", "absorbent", 1, 102.0)]))


def no_sideways_scroll(page, width):
    """No horizontal scroll of the page and no control of Masa's past the screen's edge."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    cut = page.evaluate("""width => [...document.querySelectorAll(
            'main input, main select, main button, main a.button, .masa-dashboard a, .masa-dashboard td')]
        .filter(e => e.offsetParent && (e.getBoundingClientRect().right > width + 1 || e.getBoundingClientRect().left < -1))
        .map(e => e.outerHTML.slice(0, 100))""", width)
    assert not cut, cut


def shot_of(page, selector, name):
    """The part of a long page the full-page shot leaves below the fold (the admin scrolls inside)."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_an_owner_reads_the_home_panel_and_the_results_and_chooses_a_winner(
        browser_page, live_server, signing_store, email_channel, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": live_server.url}
    for key, subject in (("offer-short", "A gift for you"), ("offer-long", "Our best offer, {{ customer.first_name }}")):
        MessageTemplate.objects.create(key=key, subject=subject, body="See the shop.")
    rule = Rule.objects.create(rule_id="offer-test", title="Offer test", definition=SPLIT)
    MessageTemplate.objects.create(key="thanks", subject="Thank you", body="Thank you for your order.")
    Rule.objects.create(rule_id="thanks", title="A thank-you with a tip", holdout_percent=30, definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "thanks"}}]})
    Rule.objects.create(rule_id="regular", title="Tag regulars", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"tag": "regular"}]})
    a_month_of_orders(live_server, signing_store)
    page = browser_page
    log_in(page)
    for index, (language, width) in enumerate(each_language_and_width(page, "edna")):
        page.goto("/admin/")
        panel = page.locator(".masa-dashboard")
        assert panel.locator(".masa-home-journeys").get_by_text("Offer test").is_visible()
        no_sideways_scroll(page, width)
        shot(page, f"30-home-{language}-{width}")

        panel.locator("a[href$='/admin/masa/results/']").click()
        page.locator(".masa-results").wait_for()
        main = page.locator("main").inner_text()
        assert "Offer test" in main
        assert "€" in page.locator(".masa-totals").inner_text()
        assert page.locator(".masa-split-result").count() == 1
        assert page.locator(".masa-holdout").count() == 1
        assert "Tag regulars" not in page.locator(".masa-results").inner_text(), "bookkeeping is folded apart"
        assert not page.locator(".masa-bookkeeping").evaluate("d => d.open")
        no_sideways_scroll(page, width)
        shot(page, f"30-results-{language}-{width}")
        shot_of(page, ".masa-holdout", f"30-results-{language}-{width}-holdout")
        shot_of(page, ".masa-split-result", f"30-results-{language}-{width}-split")

        page.locator(".masa-split-result form button").first.click()
        page.locator(".masa-winner-form").wait_for()
        assert page.locator(".masa-winner-warning").is_visible(), "8 customers are too few to tell"
        no_sideways_scroll(page, width)
        shot(page, f"30-results-winner-confirm-{language}-{width}")
        if index < 3:   # English and Hebrew at two widths: the last one chooses
            page.locator(".masa-winner-form a.button-secondary").click()   # Back: nothing chosen
            page.wait_for_url("**/journey/**")
            assert Rule.objects.get(pk=rule.pk).split_winners == {}
            continue
        page.locator(".masa-winner-form button[type=submit]").click()
        page.wait_for_url("**/journey/**")
        assert Rule.objects.get(pk=rule.pk).split_winners == {"steps[0].split": "a"}
        page.goto("/admin/masa/results/")
        assert page.locator(".masa-split-result .masa-result-headline bdi").inner_text() == "A", "version A won"
        assert page.locator(".masa-split-result form").count() == 0, "the test has ended: nothing left to choose"
        shot(page, f"30-results-winner-chosen-{language}-{width}")
