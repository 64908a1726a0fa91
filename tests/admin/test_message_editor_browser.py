"""The message editor in a real browser, in English and Hebrew, on a laptop and a phone: the owner
opens the refill reminder from the messages list, inserts "first name" from the list of merge
tags, watches the preview for a real customer follow the typing, saves, and sends a test to
themself; adds a Hebrew version, edited right to left. Screenshots in
``artifacts/screenshots/30-message-editor-*``."""
import pytest
from django.core import mail

from masa.models import MessageTemplate

from .test_admin_browser import CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM


def fits(page, width):
    """No horizontal scroll, and nothing of the page's content (not Wagtail's closed side panels) off the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    wide = page.evaluate("""width => Array.from(document.querySelectorAll(
            'main .w-form-width, main .w-form-width *, .masa-language-tabs *, main table *, .masa-preview *, .masa-search *'
        )).filter(element => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && (box.left < -1 || box.right > width + 1) && !element.closest('[hidden], .w-minimap');
    }).map(element => element.tagName + '.' + element.className).slice(0, 5)""", width)
    assert not wide, wide


def test_the_owner_edits_the_refill_reminder_previews_it_and_sends_a_test(browser_page, ruth, email_channel):
    page = browser_page
    log_in(page)
    template = MessageTemplate.objects.get(key="refill-absorbent")
    for language, width in each_language_and_width(page, "edna"):
        page.goto("/admin/snippets/masa/messagetemplate/")
        row = page.locator("main tbody tr", has=page.locator(".masa-tag-word")).first
        assert "{{" not in page.locator("main").inner_text()
        shot(page, f"30-message-editor-list-{language}-{width}")
        fits(page, width)
        row.locator("a[href*='/messagetemplate/edit/']").first.click()

        editor = page.locator("[data-masa-editor]")
        editor.wait_for()
        preview = page.locator("[data-masa-preview]")
        assert "Time to restock, Ruth?" in preview.inner_text(), "a recent customer's preview from the start"
        page.select_option("[data-masa-customer]", str(ruth.pk))

        body = page.locator("textarea[name=body]")
        words = f"Reminder {language} {width}: see you soon, "
        body.click()
        page.keyboard.press("Control+End")
        body.press_sequentially(f"\n{words}")
        page.select_option("#masa-merge-tag", label="first name" if language == "en" else None,
                           value=None if language == "en" else "{{ customer.first_name }}")
        page.locator("[data-masa-insert]").click()
        assert body.input_value().endswith(f"{words}{{{{ customer.first_name }}}}")
        preview.get_by_text(f"{words}Ruth", exact=False).wait_for()

        if width == 390:
            assert page.locator(".masa-editor-preview").bounding_box()["y"] > body.bounding_box()["y"], \
                "on a phone the preview is below the text"
        fits(page, width)
        shot(page, f"30-message-editor-{language}-{width}")
        page.locator(".masa-editor-preview").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"30-message-editor-{language}-{width}-preview.png"))

        page.locator("button.action-save").click()
        page.locator(".messages .success").first.wait_for()
        template.refresh_from_db()
        assert template.body.endswith(f"{words}{{{{ customer.first_name }}}}")

        page.goto(f"/admin/snippets/masa/messagetemplate/edit/{template.pk}/")
        page.locator("[data-masa-test]").click()
        page.locator("form.masa-period button[type=submit]").click()
        page.locator(".messages .success").first.wait_for()
        shot(page, f"30-message-editor-test-{language}-{width}")
        fits(page, width)
        sent = mail.outbox[-1]
        assert sent.to == ["edna@shop.example"] and f"{words}Ruth" in sent.body

    page.goto(f"/admin/snippets/masa/messagetemplate/edit/{template.pk}/")
    page.select_option("#masa-add-language", "he")
    page.locator(".masa-add-language button").click()
    page.locator("[data-masa-editor]").wait_for()
    assert page.locator("textarea[name=body]").get_attribute("dir") == "rtl"
    page.fill("input[name=subject]", "נגמרים לך, ")
    page.locator("input[name=subject]").press("End")
    page.select_option("#masa-merge-tag", "{{ customer.first_name }}")
    page.locator("[data-masa-insert]").click()
    page.locator("[data-masa-preview]").get_by_text("נגמרים לך, Ruth").wait_for()
    counter = page.locator("[data-masa-sms-count]")
    assert counter.is_hidden(), "no SMS count for an email"
    page.select_option("[data-masa-channel-kind]", "sms")
    page.fill("textarea[name=body]", "ש" * 71)
    assert "71" in counter.inner_text() and "70" in counter.inner_text(), "Hebrew: 70 a message, so 2 parts"
    assert counter.inner_text().count("2") >= 1
    page.locator("[data-masa-preview] .masa-sms-parts").wait_for()
    page.locator(".masa-editor-text").screenshot(path=str(SCREENSHOTS / "30-message-editor-sms-count-he-390.png"))
    page.fill("textarea[name=body]", "שלום {{ customer.first_name }}, נגמרים לך המוצרים?")
    page.locator("button.action-save").click()
    page.locator(".messages .success").first.wait_for()
    hebrew = MessageTemplate.objects.get(key="refill-absorbent", locale="he")
    assert (hebrew.subject, hebrew.channel_kind) == ("נגמרים לך, {{ customer.first_name }}", "sms")
    page.goto(f"/admin/snippets/masa/messagetemplate/edit/{hebrew.pk}/")
    assert page.locator(".masa-language-tabs [aria-current=page]").inner_text() == "עברית"
    shot(page, "30-message-editor-hebrew-version-he-390")
