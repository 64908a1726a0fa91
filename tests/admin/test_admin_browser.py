"""The admin in a real browser (Playwright driving Debian's Chromium, no browser download):
log in, turn a rule off, import a broken pack and read the problems, open a customer's timeline
after a replayed Saleor order, and read the results page. Each page is saved as a screenshot in
``artifacts/screenshots/`` (CI keeps them)."""
import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
import yaml
from django.db import connections

from masa.models import Rule, ScheduledAction

from ..helpers import PASSWORD, editor
from ..helpers import STORE_API_URL, STORE_DOMAIN
from ..helpers import customer_payload, order_payload

CHROMIUM = os.environ.get("MASA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("MASA_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")) / "screenshots"
STARTER = Path(__file__).resolve().parents[2] / "packs" / "ecommerce-starter" / "pack.yaml"

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium; set MASA_CHROMIUM)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ])
        page = browser.new_page(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15000)
        yield page
        browser.close()
        # The ORM calls made while Playwright's loop ran used their own connections: close them.
        connections.close_all()


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def each_language_and_width(page, username: str, widths=(1366, 390)):
    """Set the user's admin language (English, then Hebrew) and the page's width, in turn."""
    from django.contrib.auth.models import User
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(User.objects.get(username=username))
    for language in ("en", "he"):
        profile.preferred_language = language
        profile.save()
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            yield language, width


def log_in(page):
    user = editor()
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    shot(page, "01-dashboard")
    assert page.locator(".masa-dashboard").is_visible()


def replay_order(live_server, signer):
    """A Saleor store delivers signed CUSTOMER_CREATED and ORDER_CREATED webhooks over HTTP."""
    import json

    for event, payload in (("customer_created", customer_payload()), ("order_created", order_payload())):
        body = json.dumps(payload).encode()
        response = httpx.post(f"{live_server.url}/masa/webhooks/saleor/", content=body,
                              headers=signer.headers(event, body, STORE_DOMAIN, STORE_API_URL), timeout=30)
        assert response.status_code == 200, response.text


def test_shop_admin_journey_in_the_browser(browser_page, live_server, signing_store, refill_rule, email_channel):
    page = browser_page
    log_in(page)

    page.goto("/admin/snippets/masa/rule/")
    shot(page, "02-rules")
    assert "When a customer places an order with something from Absorbent: wait 25 days; if they have not bought " \
           "from Absorbent since, email “Time to restock, {first name}?”." in page.locator("main").inner_text()
    page.click(f"a.masa-switch[data-rule={refill_rule.rule_id}]")
    page.check("input[name=pending][value=keep]") if page.locator("input[name=pending][type=radio]").count() else None
    shot(page, "03-rule-switch")
    page.click("button:has-text('Turn off')")
    page.wait_for_url("**/admin/snippets/masa/rule/**")
    assert page.get_by_text("is off").is_visible()
    assert not Rule.objects.get(pk=refill_rule.pk).enabled
    page.click(f"a.masa-switch[data-rule={refill_rule.rule_id}]")
    page.click("button:has-text('Turn on')")
    page.wait_for_url("**/admin/snippets/masa/rule/**")
    assert Rule.objects.get(pk=refill_rule.pk).enabled

    document = yaml.safe_load(STARTER.read_text())
    document["rules"][0]["steps"].insert(0, {"wait": "in a while"})
    page.goto("/admin/masa/packs/import/")
    page.fill("#id_source", yaml.safe_dump(document, sort_keys=False))
    page.click("button:has-text('Preview the import')")
    problems = page.locator(".masa-problems")
    problems.wait_for()
    shot(page, "04-pack-import-error")
    assert "Nothing was changed" in problems.inner_text()
    assert "in a while" in problems.inner_text()

    replay_order(live_server, signing_store)
    assert ScheduledAction.objects.filter(rule=refill_rule, status="pending").count() == 1
    page.goto("/admin/masa/customers/")
    page.fill("#masa-q", "ruth")
    page.click("button:has-text('Search')")
    page.click("text=Ruth Levi")
    page.locator(".masa-lines").wait_for()
    shot(page, "05-customer-timeline")
    story = page.locator(".masa-story").inner_text()
    assert re.search(r"Ordered #\d+ — €40\.00", story) and "FIRING" not in story and "processed" not in story
    assert "Time to restock" in page.locator(".masa-coming").inner_text()

    page.click("a:has-text('Show what Masa will do if nothing else happens')")
    page.locator(".masa-forecast").wait_for()
    shot(page, "05a-next-90-days")
    assert "Would email “Time to restock, Ruth?”" in page.locator(".masa-forecast").inner_text() or \
        "Would email “Time to restock" in page.locator(".masa-forecast").inner_text()
    assert ScheduledAction.objects.get(rule=refill_rule).status == "pending", "the forecast changed nothing"

    page.goto(f"/admin/masa/rules/{refill_rule.rule_id}/journey/")
    page.locator(".masa-journey > .masa-flow").wait_for()
    shot(page, "05b-rule-journey")
    drawn = page.locator(".masa-journey > .masa-flow").text_content()
    assert "Time to restock, {first name}?" in drawn and "waiting now" in drawn
    page.locator(".masa-journey .masa-flow a", has_text="waiting now").first.click()
    page.get_by_text("are waiting at this step now").wait_for()
    assert "Ruth Levi" in page.locator("main").inner_text()
    page.goto(f"/admin/masa/rules/{refill_rule.rule_id}/journey/")
    page.locator(".masa-journey .masa-flow a", has_text="preview it for a customer").first.click()
    page.get_by_text("Send a test to me").first.wait_for()
    shot(page, "05c-message-preview")
    assert "Time to restock, Ruth?" in page.locator(".masa-preview").inner_text()
    page.click("button:has-text('Send a test to me')")
    page.get_by_text("Sent a test of").wait_for()
    page.goto(f"/admin/masa/customers/{ScheduledAction.objects.get(rule=refill_rule).customer_id}/")
    page.click(".masa-cancel button")
    page.get_by_text("Cancelled: send “Time to restock, Ruth?”.").wait_for()
    assert ScheduledAction.objects.get(rule=refill_rule).status == "cancelled"

    page.goto("/admin/masa/results/")
    page.locator(".masa-results").wait_for()
    shot(page, "06-results")
    assert "Absorbent products refill Live" in page.locator(".masa-results").inner_text()
    assert page.locator("svg.masa-chart rect").count() >= 30

    page.goto(f"/admin/snippets/masa/rule/edit/{refill_rule.pk}/")
    page.fill("input[name=d__steps__0__wait_0]", "20")
    shot(page, "07-rule-edit")
    page.click("button.action-save")
    page.get_by_text("updated").first.wait_for()
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.latest_revision.content["definition"]["steps"][0] == {"wait": "20d"}
    assert rule.definition["steps"][0] == {"wait": "25d"}, "a draft is not live until published"
    assert Rule.objects.get(pk=refill_rule.pk).definition["steps"][0] == {"wait": "25d"}

    for path, name, marker in [
        ("/admin/snippets/masa/channel/", "08-channels", "Shop email"),
        (f"/admin/masa/channels/{email_channel.pk}/test/", "09-channel-test", "Send a test message"),
        ("/admin/masa/packs/", "10-packs", "No pack is installed yet"),
        ("/admin/masa/failures/", "12-needs-attention", "Requests refused in the last 24 hours"),
        ("/admin/", "13-dashboard-after", "store events today"),
    ]:
        page.goto(path)
        page.get_by_text(marker).first.wait_for()
        shot(page, name)

    page.goto(f"/admin/masa/rules/{refill_rule.pk}/simulate/")
    page.click("button:has-text('Simulate')")
    page.get_by_text("it would have produced").wait_for()
    shot(page, "11-simulate-job")
    assert page.locator(".masa-job-progress").is_visible()
    page.goto("/admin/masa/jobs/")
    page.get_by_text("Absorbent products refill over the last 30 days").first.wait_for()
    shot(page, "11b-background-jobs")


def test_a_shipped_pack_journey_in_the_browser(browser_page, settings):
    from masa.packs.installer import import_pack
    from masa.packs.loader import load_pack_file

    import_pack(load_pack_file(str(STARTER)))
    page = browser_page
    log_in(page)
    page.goto("/admin/masa/packs/")
    page.click("a:has-text('Journey')")
    page.get_by_text("How the rules connect").wait_for()
    shot(page, "14-pack-journey")
    assert page.locator("section.masa-journey").count() == Rule.objects.filter(pack="ecommerce-starter").count()
    assert "Started by:" in page.locator("main").inner_text()


def test_what_issue_28_shows_an_owner_in_both_languages_and_widths(browser_page, settings, email_channel):
    """The pages issue 28 changed, as an editor sees them in English and Hebrew, on a laptop and
    a phone: the Saleor stores page with a store whose token no key decrypts, a customer of one of
    two stores, and a message preview whose test goes only to the signed-in editor."""
    from masa.models import Customer, MessageTemplate, SaleorApp

    settings.MASA = {**settings.MASA, "SALEOR_STORES": [*settings.MASA["SALEOR_STORES"],
                                                        {"domain": "other.example.com",
                                                         "api_url": "https://other.example.com/graphql/"}]}
    SaleorApp.objects.create(domain="shop-b.example.com", api_url="https://shop-b.example.com/graphql/",
                             app_id="QXBwOjE=", token_encrypted="gAAAAA-not-decryptable-with-this-sites-keys")
    customer = Customer.objects.create(store="other.example.com", store_id="VXNlcjox", email="bella@example.com",
                                       first_name="Bella", marketing_consent=True,
                                       marketing_consent_source="opt-in link")
    template = MessageTemplate.objects.create(key="thanks", subject="Thank you, {{ customer.first_name }}",
                                              body="Thank you for your order.")
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna", widths=(1280, 390)):
        page.goto("/admin/masa/saleor/")
        assert page.locator("main").get_by_text("shop-b.example.com").first.is_visible()
        shot(page, f"28-saleor-stores-{language}-{width}")
        page.goto(f"/admin/masa/customers/{customer.pk}/")
        assert "other.example.com" in page.locator("main").inner_text()
        shot(page, f"28-customer-of-a-store-{language}-{width}")
        page.goto(f"/admin/masa/messages/{template.pk}/preview/?customer={customer.pk}")
        assert "edna@" in page.locator("main").inner_text()  # a test goes to the editor, nowhere else
        shot(page, f"28-message-preview-{language}-{width}")
