"""Every Journeys page, in English and in Hebrew, at a laptop's and a phone's width (1366 and
390 px), in Chromium: nothing runs off the screen — no horizontal scroll of the page, and no
control or text beyond the screen's edge unless it sits in its own scrolling box (a wide table may
scroll inside its wrapper). Each page is saved as a screenshot (``30-page-<name>-<lang>-<width>``)."""
import re

import pytest

from .test_admin_browser import browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT_OF_REACH = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let node = element.parentElement; node && node.tagName !== 'MAIN'; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && node.scrollWidth > node.clientWidth) return true;
    }
    return false;
  };
  const found = [];
  for (const element of document.querySelectorAll('main *')) {
    if (element.closest('.w-minimap')) continue;   // Wagtail's minimap slides in from beyond the edge when asked
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || getComputedStyle(element).visibility === 'hidden') continue;
    if ((box.right > width + 1 || box.left < -1) && !scrolls(element)) {
      const label = (element.innerText || element.value || element.getAttribute('aria-label') || '').trim().slice(0, 60);
      found.push(`${element.tagName.toLowerCase()}.${element.className} [${Math.round(box.left)}..${Math.round(box.right)}] ${label}`);
    }
  }
  return {page: document.documentElement.scrollWidth, width, found: found.slice(0, 8)};
}"""


def test_every_journeys_page_fits_the_screen_in_both_languages_at_1366_and_390(browser_page, every_page):
    page = browser_page
    log_in(page)
    problems = []
    for language, width in each_language_and_width(page, "edna"):
        for name, url in every_page:
            if name.endswith(("_export", ":list_results")):
                continue    # a download; the part of a list Wagtail swaps in when filtering (measured on its page)
            response = page.goto(url)
            if response is None or response.status != 200 or "html" not in response.headers.get("content-type", ""):
                continue
            shot(page, f"30-page-{re.sub(r'[^a-z0-9]+', '-', name.lower())}-{language}-{width}")
            measured = page.evaluate(OUT_OF_REACH)
            if measured["page"] > measured["width"] + 1 or measured["found"]:
                problems.append(f"{name} {language} {width}px: page {measured['page']} px wide; "
                                + "; ".join(measured["found"]))
    assert not problems, "\n".join(problems)
