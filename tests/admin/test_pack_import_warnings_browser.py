"""Issue 31, item 7, in a real browser: the import preview says what is worth knowing — categories
the store lacks (here: no store is connected, so they could not be checked) and a fact another
installed pack sets — in both languages, on a laptop and a phone, and the pack still imports.
Screenshots in ``artifacts/screenshots/31-import-warnings-*``."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from masa.models import RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack
from masa.saleor.categories import CACHE_KEY

from ..packs.test_import_warns_before_it_overlaps import COFFEE, TIERS
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM


def test_the_import_preview_warns_and_the_pack_still_imports(browser_page, monkeypatch):
    monkeypatch.setattr("masa.saleor.categories.credentials", lambda: None)
    cache.delete(CACHE_KEY)
    page = browser_page
    log_in(page)
    import_pack(load_pack(TIERS))
    for language, width in each_language_and_width(page, "edna"):
        where = f"{language}-{'wide' if width > 1000 else 'phone'}"
        RulePack.objects.filter(pack_id="coffee").delete()
        page.goto(reverse("masa_pack_import"))
        page.fill("textarea[name=source]", COFFEE)
        page.locator("form button[type=submit]").last.click()
        warnings = page.locator(".masa-import-warnings")
        warnings.wait_for()
        said = warnings.inner_text()
        assert "coffee-beans" in said and "grinders" in said and "Loyalty tiers" in said, said
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {where}"
        shot(page, f"31-import-warnings-{where}")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/parameters/")
    assert RulePack.objects.filter(pack_id="coffee").exists()
