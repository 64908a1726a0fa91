"""Upgrading a pack in a real browser (issue 31), in English and Hebrew, on a laptop and a phone:
the shop installs the coffee pack, changes a message's text in the message editor and a rule's
delay in the rule editor; the agency's next version changes both too. The preview shows both
side by side (the message as a text diff, the delay in days and weeks), the owner keeps their own
text and takes the pack's delay, applies, and the result is exactly that. Screenshots in
``artifacts/screenshots/31-upgrade-preview-*``."""
import pytest
from django.urls import reverse

from masa.models import MessageTemplate, Rule, RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack

from ..packs.upgrade_fixtures import COFFEE, coffee
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_rule_editor_browser import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

NEWER = coffee(introduce_after="14d", welcome_body="Welcome, {{ customer.first_name }}! Enjoy the beans.")
DELAY = "rule:coffee-introduce:steps[0].wait"
TEXT = "message:welcome:default:body"


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_owner_sees_both_edits_side_by_side_chooses_and_applies(browser_page):
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        where = f"{language}-{'wide' if width > 1000 else 'phone'}"
        Rule.objects.all().delete()
        MessageTemplate.objects.all().delete()
        RulePack.objects.all().delete()
        import_pack(load_pack(COFFEE, "coffee.yaml"))

        # the shop's own edits, through the editors
        rule = Rule.objects.get(rule_id="coffee-introduce")
        page.goto(f"/admin/snippets/masa/rule/edit/{rule.pk}/")
        page.fill("input[name=d__steps__0__wait_0]", "10")
        page.select_option("select[name=d__steps__0__wait_1]", "d")
        publish(page)
        page.wait_for_url("**/admin/snippets/masa/rule/")
        assert Rule.objects.get(pk=rule.pk).definition["steps"][0] == {"wait": "10d"}
        welcome = MessageTemplate.objects.get(key="welcome", locale="")
        page.goto(f"/admin/snippets/masa/messagetemplate/edit/{welcome.pk}/")
        mine = "Hi {{ customer.first_name }}, so glad you found us. Enjoy the beans."
        page.fill("textarea[name=body]", mine)
        page.locator("button.action-save").click()
        page.locator(".messages .success").first.wait_for()
        assert MessageTemplate.objects.get(pk=welcome.pk).body == mine

        # the agency's next version, uploaded
        page.goto(reverse("masa_pack_upgrade", args=["coffee"]))
        page.set_input_files("input[name=file]", files=[{"name": "coffee-1.1.0.yaml", "mimeType": "application/yaml",
                                                         "buffer": NEWER.encode()}])
        page.locator("form.masa-pack-source button[type=submit]").click()
        page.locator("form.masa-upgrade").wait_for()
        delay = page.locator(".masa-upgrade-item", has=page.locator(f"input[name='choice:{DELAY}']"))
        text = page.locator(".masa-upgrade-item", has=page.locator(f"input[name='choice:{TEXT}']"))
        said = delay.inner_text()
        assert "Introduce the machines" in said and ("10 days" in said or "10 ימים" in said), said
        assert "2 weeks" in said or "שבועיים" in said or "2 שבועות" in said, said
        assert text.locator(".masa-diff del").first.inner_text() and text.locator(".masa-diff ins").first.inner_text()
        assert "{first name}" in text.inner_text() and "{{" not in page.locator("main").inner_text()
        assert "coffee-introduce" not in page.locator("main").inner_text(), "ids only under the folded Details"
        sides = text.locator(".masa-upgrade-side")
        first, second = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
        if width > 1000:
            assert abs(first["y"] - second["y"]) < 2, "side by side on a laptop"
            if language == "he":
                assert first["x"] > second["x"], "in Hebrew yours is on the right"
        else:
            assert second["y"] > first["y"], "stacked on a phone"
        assert fits(page, width), f"the preview scrolls sideways at {where}"
        text.scroll_into_view_if_needed()
        shot(page, f"31-upgrade-preview-{where}")

        page.check(f"input[name='choice:{DELAY}'][value=pack]")
        assert page.locator(f"input[name='choice:{TEXT}'][value=shop]").is_checked(), "keeping mine is the default"
        page.locator("form.masa-upgrade button[type=submit]").click()
        page.wait_for_url("**/admin/masa/jobs/**")
        page.locator("main").get_by_text("1.1.0").first.wait_for()
        assert RulePack.objects.get().version == "1.1.0"
        assert Rule.objects.get(rule_id="coffee-introduce").definition["steps"][0] == {"wait": "14d"}
        assert not Rule.objects.get(rule_id="coffee-introduce").locally_edited
        assert MessageTemplate.objects.get(key="welcome", locale="").body == mine
