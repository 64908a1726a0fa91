"""*Needs attention* in a real browser, in English and Hebrew, on a laptop and a phone, with a
skipped SMS for no phone number, failed sends, an open circuit and refused probes (screenshots in
``artifacts/screenshots/30-needs-attention-*``)."""
import pytest

from .test_admin_browser import CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_needs_attention import a_shop_with_troubles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM


def test_needs_attention_in_both_languages_and_widths(browser_page, refill_rule):
    from masa.admin.attention import attention

    a_shop_with_troubles(refill_rule)
    page = browser_page
    log_in(page)
    total = attention().total
    for language, width in each_language_and_width(page, "edna"):
        page.goto("/admin/")
        assert page.locator(".masa-dashboard .stats li").nth(2).locator("span").inner_text() == str(total)
        page.goto("/admin/masa/failures/")
        groups = page.locator(".masa-attention-group")
        assert sum(int(groups.nth(i).get_attribute("data-count")) for i in range(groups.count())) == total
        assert not page.locator(".masa-attention-noise details").first.evaluate("d => d.open")
        shot(page, f"30-needs-attention-{language}-{width}")
        page.locator(".masa-attention-noise summary").click()
        page.locator(".masa-attention-noise").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"30-needs-attention-{language}-{width}-noise.png"))
