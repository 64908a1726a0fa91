"""Results per rule and pack: fired, scheduled, sent, opened, clicked, converted (last touch,
within the window) and attributed revenue; the page with its chart."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from masa.reports import results
from masa.models import Delivery, Rule, RuleFiring, ScheduledAction
from masa.actions.due import sweep
from masa.eventstore import record_message_event as record

from ..helpers import NOW, place_order, viewer
from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
PERIOD = (NOW - timedelta(days=1), NOW + timedelta(days=40))


@pytest.fixture
def journey(client, signing_store, refill_rule, email_channel):
    """Ruth orders, gets the reminder on day 25, opens and clicks it, and orders again on day 27
    (firings dated at their events, as they are when the store's clock is now)."""
    place_order(client, signing_store)
    sweep(now=NOW + timedelta(days=25, hours=1))
    delivery = Delivery.objects.get()
    record(delivery, "message_opened", "open-1")
    record(delivery, "message_opened", "open-2")
    record(delivery, "message_clicked", "click-1", url="https://shop.example/")
    post_signed(client, signing_store, "order_created",
                order_payload(when=NOW + timedelta(days=27), lines=[("Pads XL", "absorbent", 1, 55.5)]))
    for firing in RuleFiring.objects.select_related("event"):
        RuleFiring.objects.filter(pk=firing.pk).update(fired_at=firing.event.occurred_at)
        ScheduledAction.objects.filter(firing=firing).update(created_at=firing.event.occurred_at)
    return refill_rule


def test_a_rule_result_counts_each_stage_once(journey):
    row = next(r for r in results.rule_results(*PERIOD) if r.key == journey.rule_id)
    assert (row.fired, row.scheduled, row.sent, row.opened, row.clicked, row.converted) == (2, 2, 1, 1, 1, 1)
    assert row.revenue == {"EUR": Decimal("55.5")} and row.revenue_text == "€55.50"
    assert (row.open_rate, row.click_rate, row.conversion_rate) == ("100%", "100%", "100%")


def test_an_order_outside_the_window_is_not_a_conversion(journey):
    row = next(r for r in results.rule_results(*PERIOD, window=timedelta(days=1)) if r.key == journey.rule_id)
    assert (row.sent, row.converted, row.revenue.is_zero) == (1, 0, True)
    assert row.revenue_text == "€0.00", "zero is said in the store's currency"


def test_a_period_before_the_message_has_no_sends(journey):
    row = next(r for r in results.rule_results(NOW - timedelta(days=1), NOW + timedelta(days=2)) if r.key == journey.rule_id)
    assert (row.fired, row.sent, row.converted) == (1, 0, 0)


def test_pack_results_add_up_their_rules(journey):
    Rule.objects.create(rule_id="quiet", title="Quiet", definition={"trigger": {"event": "never"}, "steps": [{"wait": "1d"}]})
    [local] = results.pack_results(*PERIOD)
    assert (local.key, local.fired, local.sent, local.converted) == ("local", 2, 1, 1)


def test_daily_series_puts_the_send_on_its_day(journey):
    days = {day: (sent, opened, clicked) for day, sent, opened, clicked in results.daily(*PERIOD)}
    assert days[(NOW + timedelta(days=25)).date()] == (1, 1, 1)
    assert sum(sent for sent, _, _ in days.values()) == 1


def test_results_page_shows_the_numbers_and_a_chart(client, journey):
    client.force_login(viewer())
    query = {"since": PERIOD[0].date().isoformat(), "until": PERIOD[1].date().isoformat(), "by": "rule", "window": 7}
    page = client.get(reverse("masa_results"), query).content.decode()
    assert "<bdi>Absorbent products refill</bdi>" in page
    assert '<bdi class="masa-money" dir="ltr">€55.50</bdi>' in page and '<svg class="masa-chart"' in page
    assert page.count("<rect") >= 40
    by_pack = client.get(reverse("masa_results"), {**query, "by": "pack"}).content.decode()
    assert "<bdi>This shop&#x27;s own rules</bdi>" in by_pack, "a pack by its title, not its id"
    bad = client.get(reverse("masa_results"), {**query, "since": "2027-01-01"}).content.decode()
    assert "the period ends before it starts" in bad


def journey_row(page: str) -> str:
    start = page.index("<bdi>Absorbent products refill</bdi>")
    return page[start:page.index("</tr>", start)]


def test_results_compare_the_period_with_the_one_before_in_words(client, journey):
    client.force_login(viewer())
    day_25 = (NOW + timedelta(days=25)).date()
    query = {"since": (day_25 - timedelta(days=4)).isoformat(), "until": (day_25 + timedelta(days=5)).isoformat(),
             "by": "rule", "window": 7}
    page = client.get(reverse("masa_results"), query).content.decode()
    row = journey_row(page)
    assert "1 more" in row and '€55.50</bdi> more' in row, "one more message and its revenue than the ten days before"
    assert "against the 10 days before" in page
    later = {**query, "since": (day_25 + timedelta(days=10)).isoformat(), "until": (day_25 + timedelta(days=19)).isoformat()}
    row = journey_row(client.get(reverse("masa_results"), later).content.decode())
    assert "1 fewer" in row and '€55.50</bdi> less' in row
    assert "±0" not in page and "pts" not in page


def test_money_is_said_in_its_currency_and_kept_apart_per_currency():
    from masa.money import Amounts, format_money

    assert format_money("1234.5", "ILS") == "₪1,234.50"
    assert format_money(3, "NOK") == "3.00 NOK"
    total = Amounts({"ILS": Decimal(10)}) + Amounts({"EUR": Decimal("2.5"), "ILS": Decimal(5)})
    assert total.format() == "€2.50 + ₪15.00"
    assert Amounts().format("ILS") == "₪0.00"
