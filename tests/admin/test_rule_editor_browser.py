"""The owner's rule tasks in a real browser, through visible controls only, in English and Hebrew,
on a laptop and a phone: turn off the cross-sell and stop its waiting customers; change the refill
reminder's delay to 7 days and re-time the customer waiting; add an A/B split and a holdout and
read them in the rule's sentence. Screenshots: ``artifacts/screenshots/30-rule-editor-*``."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import MessageTemplate, Rule, ScheduledAction, StoreEvent

from ..helpers import place_order
from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401
from .test_every_page_at_phone_width import OUT_OF_REACH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

REFILL = {"trigger": {"event": "order_placed", "category": "absorbent"},
          "steps": [{"wait": "25d"}, {"check": {"not_bought_since": {"category": "absorbent"}}},
                    {"send": {"channel": "email", "template": "refill-absorbent"}}]}


def no_page_scroll(page, width):
    """No sideways scroll of the page, and nothing beyond the screen's edge (the phone-width test's measure)."""
    measured = page.evaluate(OUT_OF_REACH)
    assert measured["page"] <= width and not measured["found"], measured


def choose(select, words: str) -> None:
    """Pick the option of a list that reads ``words`` (as the owner sees it)."""
    [value] = select.evaluate("(s, words) => [...s.options].filter(o => o.text.includes(words)).map(o => o.value)",
                              words)
    select.select_option(value)


def publish(page):
    """The editor's footer: open its menu of more actions, then Publish."""
    button = page.locator("button[name=action-publish]")
    if not button.is_visible():
        page.locator("footer .w-dropdown__toggle").first.click()
    button.click()


def test_turning_off_the_cross_sell_stops_its_waiting_customers(browser_page, client, signing_store, refill_rule):
    from masa.packs.installer import import_pack
    from masa.packs.loader import load_pack_file

    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store)
    cross_sell = Rule.objects.get(rule_id="sc-introduce-skin-care")
    refill = Rule.objects.get(rule_id="sc-refill-absorbent")
    waiting = ScheduledAction.objects.filter(rule=cross_sell, status="pending")
    assert waiting.count() == 1
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        Rule.objects.filter(pk=cross_sell.pk).update(enabled=True)
        ScheduledAction.objects.filter(rule=cross_sell).update(status="pending", cancel_reason="", completed_at=None)
        page.goto("/admin/snippets/masa/rule/")
        no_page_scroll(page, width)
        title = page.locator("td.title a", has_text="Absorbent buyers meet the skin-care range")
        assert title.is_visible()
        assert title.evaluate("a => a.getBoundingClientRect().height") < 80, "the title breaks mid-word or runs long"
        shot(page, f"30-rule-editor-rules-{language}-{width}")
        page.click(f"a.masa-switch[data-rule={cross_sell.rule_id}]")
        assert page.locator("input[name=pending][value=cancel]").is_checked()
        no_page_scroll(page, width)
        shot(page, f"30-rule-editor-turn-off-{language}-{width}")
        page.click("button.serious")
        page.wait_for_url("**/admin/snippets/masa/rule/**")
        assert not Rule.objects.get(pk=cross_sell.pk).enabled
        assert ScheduledAction.objects.get(rule=cross_sell).status == "cancelled"

        page.goto(f"/admin/snippets/masa/rule/edit/{refill.pk}/")
        shared = page.locator(".masa-bound-value", has_text="Remind this long before").first
        shared.scroll_into_view_if_needed()
        assert "Supplements refill reminder" in shared.inner_text()
        assert "$refill_lead" not in page.locator("main").inner_text(), "the parameter's name only for agencies"
        no_page_scroll(page, width)
        shot(page, f"30-rule-editor-shared-value-{language}-{width}")


def test_changing_the_refill_delay_to_7_days_re_times_the_waiting_customer(browser_page, pending):
    rule = pending.rule
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        ordered = timezone.now() - timedelta(days=2)
        StoreEvent.objects.filter(pk=pending.event_id).update(occurred_at=ordered)
        ScheduledAction.objects.filter(pk=pending.pk).update(due_at=ordered + timedelta(days=25))
        Rule.objects.filter(pk=rule.pk).update(definition=REFILL)
        page.goto(f"/admin/snippets/masa/rule/edit/{rule.pk}/")
        box = page.locator("[data-masa-retime]")
        assert box.is_hidden(), "the customers waiting are mentioned once a delay changes"
        page.fill("input[name=d__steps__0__wait_0]", "7")
        page.select_option("select[name=d__steps__0__wait_1]", "d")
        page.locator("input[name=d__steps__0__wait_0]").scroll_into_view_if_needed()
        shot(page, f"30-rule-editor-duration-{language}-{width}")
        box.wait_for()
        assert "1" == box.locator(".masa-waiting").inner_text()
        assert page.locator("input[name=retime][value=retime]").is_checked()
        no_page_scroll(page, width)
        box.scroll_into_view_if_needed()
        shot(page, f"30-rule-editor-delay-{language}-{width}")
        publish(page)
        page.wait_for_url("**/admin/snippets/masa/rule/")
        assert Rule.objects.get(pk=rule.pk).definition["steps"][0] == {"wait": "7d"}
        assert ScheduledAction.objects.get(pk=pending.pk).due_at == ordered + timedelta(days=7)
        shot(page, f"30-rule-editor-delay-published-{language}-{width}")


def test_an_ab_split_and_a_holdout_are_added_and_read_on_the_rule(browser_page, refill_rule):
    MessageTemplate.objects.create(key="refill-short", subject="Pads running low?", body="Reorder in one click.")
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        Rule.objects.filter(pk=refill_rule.pk).update(definition=REFILL, holdout_percent=0)
        page.goto(f"/admin/snippets/masa/rule/edit/{refill_rule.pk}/")
        choose(page.locator("select[name=ab__steps__2]"), "Pads running low?")
        page.fill("input[name=ab__steps__2__share]", "30")
        page.fill("input[name=holdout_percent]", "10")
        no_page_scroll(page, width)
        page.locator(".masa-ab").scroll_into_view_if_needed()
        shot(page, f"30-rule-editor-ab-{language}-{width}")
        publish(page)
        page.wait_for_url("**/admin/snippets/masa/rule/")
        rule = Rule.objects.get(pk=refill_rule.pk)
        assert rule.holdout_percent == 10 and set(rule.definition["steps"][2]["split"]) == {"a", "b"}
        row = page.locator("tr", has=page.locator("td.title a", has_text="Absorbent products refill"))
        sentence = row.locator("td.masa-col-sentence").inner_text()
        assert "Pads running low?" in sentence and re.search(r"30\s?%", sentence)
        page.goto(f"/admin/snippets/masa/rule/edit/{refill_rule.pk}/")
        assert page.locator("input[name=d__steps__2__split__b__share]").input_value() == "30"
        assert page.locator("input[name=holdout_percent]").input_value() == "10"
        no_page_scroll(page, width)
        shot(page, f"30-rule-editor-ab-saved-{language}-{width}")
