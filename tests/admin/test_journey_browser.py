"""The journey drawing in a real browser, in English and Hebrew, on a laptop (1366 px) and a phone
(390 px), with the senior-care pack installed and an A/B split rule added to it: every text lies
inside its box, the split's versions stand side by side on a laptop (labelled one under the other
on a phone), the pack's page is a folded list that opens the rule its address names, and the
customers behind a figure fit the phone. Screenshots ``30-journey-*.png``."""
import base64
from datetime import datetime, timedelta, timezone

import pytest

from masa.models import Rule

from ..helpers import place_order
from .test_admin_browser import SCREENSHOTS, browser_page, each_language_and_width, log_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "תודה אחרי הזמנה: גרסה קצרה מול גרסה ארוכה עם המלצה אישית ממוצרי הטיפוח"
SPLIT = {"trigger": {"event": "order_placed"}, "steps": [
    {"wait": "2d"},
    {"split": {"a": {"share": 50, "steps": [{"send": {"template": "thank-you"}}]},
               "b": {"share": 50, "steps": [{"wait": "1d"}, {"send": {"template": "keep-in-touch"}}]}}}]}

# Each text's rectangles (a Range over its text node) inside the rectangle of the box it is in.
OUTSIDE_ITS_BOX = """() => {
  const outside = [];
  const boxes = document.querySelectorAll(
    '.masa-box, .masa-path-head, .masa-fold > summary, .masa-split-verdict, .masa-incremental-line');
  for (const box of boxes) {
    const edge = box.getBoundingClientRect();
    if (!edge.width) continue;
    const texts = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      if (!text.textContent.trim()) continue;
      const closed = text.parentElement.closest('details:not([open])');
      const summary = text.parentElement.closest('summary');
      if (closed && !(summary && summary.parentElement === closed)) continue;   // folded away: not shown
      const range = document.createRange();
      range.selectNodeContents(text);
      for (const r of range.getClientRects()) {
        if (!r.width) continue;
        if (r.left < edge.left - 1 || r.right > edge.right + 1 || r.top < edge.top - 1 || r.bottom > edge.bottom + 1) {
          outside.push(`${text.textContent.trim().slice(0, 60)} [${Math.round(r.left)}–${Math.round(r.right)}] ` +
                       `in ${box.className} [${Math.round(edge.left)}–${Math.round(edge.right)}]`);
        }
      }
    }
    if (edge.right > window.innerWidth + 1 || edge.left < -1) outside.push(`${box.className} off the screen`);
  }
  return outside;
}"""
WIDE = "() => [document.documentElement.scrollWidth, document.querySelector('main').scrollWidth, window.innerWidth]"
BEYOND = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.getBoundingClientRect().left < -1)
  .slice(0, 8).map(e => `${e.tagName}.${e.className} ${e.textContent.trim().slice(0, 40)}`)"""


def saleor_id(kind: str, key: str) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


@pytest.fixture
def split_in_the_pack(every_page, client, signing_store):
    """The senior-care pack (``every_page``) with a Hebrew-titled A/B test of its thank-you, and
    eight customers who ordered yesterday, split between its versions."""
    rule = Rule.objects.create(rule_id="sc-thank-you-ab", pack="senior-care", title=TITLE, definition=SPLIT)
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    for number in range(8):
        place_order(client, signing_store, when=yesterday, email=f"ab{number}@example.com",
                    user_id=saleor_id("User", f"ab{number}"), order_id=saleor_id("Order", f"ab{number}"))
    return rule


def shot(page, name: str) -> None:
    """The whole page: Wagtail scrolls inside <main>, so the window grows to its height first."""
    width = page.viewport_size["width"]
    height = page.evaluate("document.querySelector('main').scrollHeight + 80")
    page.set_viewport_size({"width": width, "height": min(height, 16000)})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def fits(page, where: str) -> None:
    outside = page.evaluate(OUTSIDE_ITS_BOX)
    assert not outside, f"{where}: text outside its box:\n" + "\n".join(outside[:12])
    document, main, window = page.evaluate(WIDE)
    assert document <= window and main <= window, \
        f"{where}: the page scrolls sideways ({document}, {main} > {window}): {page.evaluate(BEYOND)}"


def test_the_journey_drawing_in_both_languages_and_widths(browser_page, split_in_the_pack):
    page = browser_page
    log_in(page)
    rule = split_in_the_pack
    for language, width in each_language_and_width(page, "edna"):
        where = f"{language} {width}"
        page.goto(f"/admin/masa/rules/{rule.rule_id}/journey/")
        page.locator(".masa-flow").first.wait_for()
        shot(page, f"30-journey-rule-{language}-{width}")
        fits(page, f"the rule's journey, {where}")
        versions = page.locator(".masa-versions > .masa-path")
        assert versions.count() == 2
        first, second = versions.nth(0).bounding_box(), versions.nth(1).bounding_box()
        labels = [label.strip() for label in page.locator(".masa-versions .masa-path-label").all_inner_texts()]
        assert "A" in labels[0] and "50" in labels[0] and "B" in labels[1] and "50" in labels[1], labels
        if width == 1366:
            assert abs(first["y"] - second["y"]) < 2, "the versions stand side by side"
            assert (first["x"] > second["x"]) == (language == "he"), "A first in the reading direction"
        else:
            assert second["y"] >= first["y"] + first["height"], "on a phone the versions stack, each labelled"

        page.goto("/admin/masa/packs/senior-care/journey/")
        folds = page.locator("details.masa-fold")
        folds.first.wait_for()
        shot(page, f"30-journey-pack-{language}-{width}")
        assert folds.count() == Rule.objects.filter(pack="senior-care").count()
        assert page.locator("details.masa-fold[open]").count() == 0, "every rule folded"
        height = page.evaluate("document.querySelector('main').scrollHeight")
        assert height < (2500 if width == 1366 else 4500), f"the folded pack page is {height} px tall ({where})"
        fits(page, f"the pack's folded rules, {where}")

        page.goto(f"/admin/masa/packs/senior-care/journey/#rule-{rule.rule_id}")
        page.locator(f"#rule-{rule.rule_id}[open] .masa-versions").wait_for()
        shot(page, f"30-journey-pack-open-{language}-{width}")
        assert page.locator("details.masa-fold[open]").count() == 1, "only the rule the address names opens"
        fits(page, f"the pack page with one rule open, {where}")

        page.goto(f"/admin/masa/rules/{rule.rule_id}/journey/")
        page.locator(".masa-versions .masa-figures a").first.click()
        page.locator("main table").first.wait_for()
        shot(page, f"30-journey-customers-{language}-{width}")
        document, main, window = page.evaluate(WIDE)
        assert document <= window and main <= window, \
            f"the customers at a step scroll sideways ({where}): {page.evaluate(BEYOND)}"
        assert page.locator(f"main bdi:has-text('{TITLE[:20]}')").count(), "the rule named, isolated"
