"""Upgrading a pack in a real browser (issue 31), in English and Hebrew, on a laptop and a phone:
the shop installs the coffee pack, changes a message's text in the message editor and a rule's
delay in the rule editor; the agency's next version changes both too. The preview shows both
side by side (the message as a text diff, the delay in days and weeks), the owner keeps their own
text and takes the pack's delay, applies, and the result is exactly that. Screenshots in
``artifacts/screenshots/31-upgrade-preview-*``.

The version installed also has a how-to rule the shop renamed and the new version drops (its two
choices each say what they do), a category value the store does not have, per-product periods the
shop set (one line per product, in days) and a draft of the welcome rule (said to be outside the
upgrade); the title is short and the versions are said in the body."""
import pytest
import yaml
from django.urls import reverse

from masa.models import MessageTemplate, Rule, RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack

from ..packs.test_upgrade_items_say_what_happens import with_values
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_rule_editor_browser import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

HOWTO = {"id": "coffee-howto", "title": "How-to video", "trigger": {"event": "order_placed"},
         "steps": [{"wait": "1d"}, {"send": {"template": "machine-tips"}}]}


def version(number: str, **changes) -> str:
    document = yaml.safe_load(with_values(number, category=changes.get("category", "absorbent")))
    if "introduce_after" in changes:
        document["rules"][0]["steps"][0] = {"wait": changes["introduce_after"]}
    if "welcome_body" in changes:
        document["templates"]["welcome"]["body"] = changes["welcome_body"]
    if changes.get("howto", True):
        document["rules"].append(HOWTO)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


INSTALLED = version("1.0.0")
NEWER = version("1.1.0", introduce_after="14d", welcome_body="Welcome, {{ customer.first_name }}! Enjoy the beans.",
                category="incontinence", howto=False)
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
        import_pack(load_pack(INSTALLED, "coffee.yaml"))
        Rule.objects.filter(rule_id="coffee-howto").update(title="How-to video for your new machine, after 1 day")
        installed = RulePack.objects.get()
        installed.parameter_values = {"pad_periods": {"night-pants-l": "60d", "pads-xl": "45d"}}
        installed.save()
        draft = Rule.objects.get(rule_id="coffee-welcome")
        draft.title = "Welcome (my draft)"
        draft.save_revision()

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
        assert text.locator(".masa-upgrade-side").nth(0).locator(".masa-diff mark").first.inner_text()
        assert text.locator(".masa-upgrade-side").nth(1).locator(".masa-diff mark").first.inner_text()
        assert not text.locator(".masa-diff del, .masa-diff s").count(), "the shop's words are never struck through"
        howto = page.locator(".masa-upgrade-item", has=page.locator("input[name='choice:rule:coffee-howto']"))
        assert howto.locator("label").count() == 2 and all(
            len(label) > 20 for label in howto.locator("label").all_inner_texts()), "each choice says what it does"
        main = page.locator("main").inner_text()
        assert "60d" not in main and "45d" not in main and "1.0.0" in main and "1.1.0" in main
        assert "1.0.0" not in page.locator("h1").first.inner_text(), "a short title"
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
        page.locator(".masa-upgrade-notice").first.scroll_into_view_if_needed()
        assert page.locator(".masa-upgrade-notice").count() == 1, "the welcome rule's draft is said"
        shot(page, f"31-upgrade-preview-values-{where}")

        page.check(f"input[name='choice:{DELAY}'][value=pack]")
        assert page.locator(f"input[name='choice:{TEXT}'][value=shop]").is_checked(), "keeping mine is the default"
        page.locator("form.masa-upgrade button[type=submit]").click()
        page.wait_for_url("**/admin/masa/jobs/**")
        page.locator("main").get_by_text("1.1.0").first.wait_for()
        assert RulePack.objects.get().version == "1.1.0"
        assert Rule.objects.get(rule_id="coffee-introduce").definition["steps"][0] == {"wait": "14d"}
        assert not Rule.objects.get(rule_id="coffee-introduce").locally_edited
        assert MessageTemplate.objects.get(key="welcome", locale="").body == mine
        assert Rule.objects.get(rule_id="coffee-howto").enabled, "Keep mine (the default) kept the dropped rule on"
