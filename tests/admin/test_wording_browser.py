"""The packs, broadcasts, background jobs, Saleor stores, simulate, Needs attention and rules pages
in a real browser, in English and Hebrew, on a laptop and a phone: no horizontal scroll at 390 px
and nothing wider than the screen (screenshots in ``artifacts/screenshots/30-wording-*``)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import Broadcast, Job, SaleorApp
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file

from .test_admin_browser import CHROMIUM, SCREENSHOTS, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_needs_attention import a_shop_with_troubles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  const wider = [...document.querySelectorAll('main *')].filter(element => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 1 || box.left < -1) && !element.closest('.masa-scroll, details:not([open]), header, footer, [class*=slim-header], [class*=footer]');
  }).map(element => element.tagName + '.' + element.className + ' ' + Math.round(element.getBoundingClientRect().left) + '..' + Math.round(element.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, wider: wider.slice(0, 5)};
}"""


def a_shop(refill_rule):
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    a_shop_with_troubles(refill_rule)
    job = Job.objects.create(
        kind=Job.Kind.SIMULATE, title="Simulate", created_by="edna", rule=refill_rule, params={"days": 30},
        status=Job.Status.DONE, done=3, total=3, finished_at=timezone.now(),
        outcome={"customers": 1, "candidates": [], "would": [
            {"email": "noa@example.com", "kind": "send", "due_at": timezone.now().isoformat(), "status": "done",
             "note": "sent", "subject": "Time to restock, Noa?", "body": "Hi Noa", "html_body": ""}]})
    Broadcast.objects.create(rule=refill_rule, send_at=timezone.now() + timedelta(hours=2), created_by="edna",
                             customers_total=120, customers_done=45, customers_skipped=3)
    SaleorApp.objects.create(domain="shop.example.com", api_url="https://shop.example.com/graphql/")
    return job


def test_these_pages_fit_a_phone_in_both_languages(browser_page, refill_rule):
    job = a_shop(refill_rule)
    page = browser_page
    log_in(page)
    pages = {"packs": "/admin/masa/packs/", "pack-import": "/admin/masa/packs/import/",
             "pack-upgrade": "/admin/masa/packs/senior-care/upgrade/", "broadcasts": "/admin/masa/broadcasts/",
             "rule-broadcast": f"/admin/masa/rules/{refill_rule.pk}/broadcast/", "jobs": "/admin/masa/jobs/",
             "job": f"/admin/masa/jobs/{job.pk}/", "saleor-stores": "/admin/masa/saleor/",
             "simulate": f"/admin/masa/rules/{refill_rule.pk}/simulate/", "needs-attention": "/admin/masa/failures/",
             "rules": "/admin/snippets/masa/rule/?pack=senior-care"}
    for language, width in each_language_and_width(page, "edna"):
        for name, url in pages.items():
            page.goto(url)
            measured = page.evaluate(WIDEST)
            shot(page, f"30-wording-{name}-{language}-{width}")
            assert measured["scroll"] <= width and not measured["wider"], (name, language, width, measured)
        for kind in ("skipped", "circuits", "unread"):
            page.goto("/admin/masa/failures/")
            page.locator(f".masa-attention-section[data-kind={kind}]").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / f"30-wording-needs-attention-{language}-{width}-{kind}.png"))
        page.goto("/admin/masa/packs/import/")
        page.select_option("#id_shipped", "senior-care")
        page.locator("main button[type=submit]").click()
        page.locator(".masa-preview").wait_for()
        shot(page, f"30-wording-pack-preview-{language}-{width}")
        assert page.evaluate(WIDEST)["scroll"] <= width
