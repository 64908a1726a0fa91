"""The owner looks a customer up and reads their communication timeline, through visible controls
only, in English and Hebrew, on a laptop and a phone (issue 30, item 6): search, read what was sent
and that it was opened, see what comes next, add a tag and a note without leaving the page, and
find a reminder on the dashboard (screenshots ``artifacts/screenshots/30-customer-*``)."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from masa.actions.due import sweep
from masa.eventstore import record_message_event
from masa.models import CustomerNote, Delivery

from ..helpers import NOW, place_order
from .test_admin_browser import (CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in,  # noqa: F401
                                 shot)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM


def tall_shot(page, name, width):
    """The whole page: Wagtail's admin scrolls inside its layout, so the viewport grows to it."""
    height = page.evaluate("Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll("
                           "'main, .content-wrapper, #main')].map(element => element.scrollHeight))")
    page.set_viewport_size({"width": width, "height": min(height + 200, 12000)})
    shot(page, name)
    page.set_viewport_size({"width": width, "height": 900})


def fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_look_up_a_customer_and_read_what_was_sent_opened_and_comes_next(browser_page, client, signing_store,
                                                                         refill_rule, email_channel):
    place_order(client, signing_store)
    sweep(now=NOW + timedelta(days=26))
    delivery = Delivery.objects.get()
    record_message_event(delivery, "message_opened", "open-1", at=NOW + timedelta(days=26, hours=1))
    place_order(client, signing_store, when=NOW + timedelta(days=30))  # its refill reminder comes next
    page = browser_page
    log_in(page)
    edna = User.objects.get(username="edna")
    CustomerNote.objects.create(customer=delivery.customer, author=edna, text="Call Ruth about her walker",
                                remind=edna, remind_at=timezone.now() - timedelta(minutes=5))
    for language, width in each_language_and_width(page, "edna"):
        page.goto("/admin/")
        panel = page.locator(".masa-reminders-panel")
        assert "Call Ruth about her walker" in panel.inner_text()
        page.goto("/admin/masa/customers/")
        search = page.locator("form.masa-customer-search")
        search.locator("input[type=search]").fill("ruth")
        search.locator("button[type=submit]").click()
        found = page.locator("main table.masa-customers a", has_text="Ruth Levi")
        found.wait_for()
        assert fits(page, width), (language, width)
        tall_shot(page, f"30-customer-list-{language}-{width}", width)
        found.click()
        page.wait_for_selector(".masa-story")

        opened = page.locator(".masa-line--opened").first
        assert opened.is_visible() and "Time to restock, Ruth?" in opened.inner_text()
        sent = page.locator(".masa-line--sent").first
        assert not sent.locator(".masa-content").is_visible()
        sent.locator("details.masa-sent > summary").click()
        assert "will run out soon" in sent.locator(".masa-content").inner_text()
        assert fits(page, width), (language, width)

        page.locator("a[href='?next=90']").click()
        page.locator(".masa-forecast").wait_for()
        assert page.locator(".masa-forecast li").first.is_visible()

        tag = f"vip-{language}-{width}"
        action = page.locator("details.masa-quick-action:has(input[value=tag])")
        action.locator("summary").click()
        action.locator("input[name=tag]").fill(tag)
        action.locator("button[type=submit]").click()
        page.locator(".masa-tag", has_text=tag).wait_for()

        trigger = page.locator("details.masa-quick-action:has(input[value=trigger])")
        trigger.locator("summary").click()
        box = trigger.locator("select").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (language, width, box)
        message = page.locator("details.masa-quick-action:has(input[value=message])")
        message.locator("summary").click()
        assert message.locator("textarea[name=text]").is_visible() and fits(page, width), (language, width)
        page.locator(".masa-quick").screenshot(path=str(SCREENSHOTS / f"30-customer-actions-{language}-{width}.png"))

        note = page.locator("form.masa-note")
        note.locator("textarea[name=text]").fill(f"Prefers a call ({language}, {width})")
        note.locator("button[type=submit]").click()
        page.locator(".masa-line--note", has_text=f"Prefers a call ({language}, {width})").wait_for()
        assert fits(page, width), (language, width)
        page.locator(".masa-line--sent details.masa-sent > summary").first.click()
        page.locator(".masa-line--journey details.masa-why > summary").first.click()
        tall_shot(page, f"30-customer-timeline-{language}-{width}", width)
