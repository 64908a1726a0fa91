"""Results a shop owner reads: revenue per recipient, bookkeeping rules folded apart from the
journeys, a holdout only where one can apply, A/B splits as "B is better with 87 % probability",
"not enough customers yet — about N more" sized on the shop (never an absurd number), statistics
only in the details, and money kept left-to-right on a Hebrew page."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.admin import result_words
from masa.models import Customer, Delivery, MessageTemplate, Rule, RuleFiring, ScheduledAction, StoreEvent
from masa.reports import incremental, outlook, results
from masa.reports.incremental import Group

from ..helpers import editor, in_hebrew, viewer

pytestmark = pytest.mark.django_db
TIER = {"trigger": {"event": "order_placed"}, "steps": [{"tag": "regular"}]}


def outside_details(page: str) -> str:
    main = page[page.index("<main"):]
    return re.sub(r"<details.*?</details>", "", main, flags=re.S)


def sent(rule, customer, at, key, total=None):
    """``rule`` sent ``customer`` a message at ``at`` (and, with ``total``, they ordered a day later)."""
    event = StoreEvent.objects.create(source="t", source_id=f"e-{key}", name="order_placed", customer=customer,
                                      occurred_at=at - timedelta(days=3), data={"total": "1", "currency": "ILS"},
                                      status="processed")
    action = ScheduledAction.objects.create(idempotency_key=key, rule=rule, customer=customer, event=event, step=1,
                                            path="steps[1]", kind="send", params={"template": "refill-absorbent"},
                                            due_at=at, status="done", completed_at=at)
    Delivery.objects.create(idempotency_key=key, action=action, customer=customer, to=customer.email, body="x",
                            status="sent", sent_at=at)
    if total is not None:
        StoreEvent.objects.create(source="t", source_id=f"o-{key}", name="order_placed", customer=customer,
                                  occurred_at=at + timedelta(days=1), data={"total": str(total), "currency": "ILS"},
                                  status="processed")


@pytest.fixture
def month(refill_rule):
    """Three customers got the refill reminder ten days ago; two of them ordered (₪90 and ₪30)."""
    at = timezone.now() - timedelta(days=10)
    for number, total in enumerate((90, 30, None)):
        customer = Customer.objects.create(email=f"c{number}@example.com")
        sent(refill_rule, customer, at, f"k{number}", total)
    return refill_rule


def test_revenue_per_recipient_shares_the_revenue_over_the_customers_reached(month):
    since = timezone.now() - timedelta(days=30)
    [row] = [row for row in results.rule_results(since, timezone.now()) if row.key == month.rule_id]
    assert (row.sent, row.recipients, row.converted) == (3, 3, 2)
    assert row.revenue_per_recipient == {"ILS": Decimal("40.00")}


def test_the_page_reads_each_figure_against_the_period_before(client, month):
    client.force_login(viewer())
    page = client.get(reverse("masa_results")).content.decode()
    row = page[page.index("<bdi>Absorbent products refill</bdi>"):]
    row = row[:row.index("</tr>")]
    assert '<bdi class="masa-money" dir="ltr">₪120.00</bdi>' in row and "₪40.00</bdi>" in row
    assert "3 more" in row and "2 more" in row and "₪40.00</bdi> more" in row
    assert "Live" in row
    shown = outside_details(page)
    for engineer in ("±0", "pts", "Newcombe", "Welch", " 0 0%"):
        assert engineer not in shown, engineer


def test_bookkeeping_rules_are_folded_apart_from_the_journeys(client, month):
    rule = Rule.objects.create(rule_id="tier", title="Tier: regular", definition=TIER)
    event = StoreEvent.objects.first()
    RuleFiring.objects.create(rule=rule, rule_version=1, event=event, customer=event.customer)
    client.force_login(viewer())
    page = client.get(reverse("masa_results")).content.decode()
    table = page[page.index('class="listing masa-results'):page.index("</table>", page.index('class="listing masa-results'))]
    assert "Tier: regular" not in table
    folded = page[page.index('<details class="masa-bookkeeping">'):]
    assert "1 bookkeeping rule: it sends customers nothing" in folded
    assert "<bdi>Tier: regular</bdi>" in folded[:folded.index("</details>")] and "ran once" in folded


def test_a_holdout_is_read_only_where_it_can_apply(refill_rule):
    MessageTemplate.objects.create(key="thanks", subject="Thank you", body="x")
    thanks = Rule.objects.create(rule_id="thanks", title="Thank you", holdout_percent=10, definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "thanks", "class": "transactional"}}]})
    Rule.objects.filter(pk=refill_rule.pk).update(holdout_percent=10)
    now = timezone.now()
    keys = [row.key for row in incremental.incremental_results(now - timedelta(days=30), now)]
    assert keys == [f"rule:{refill_rule.rule_id}"], f"{thanks.title} only sends service messages: never held out"


def group(customers, converted):
    return Group(customers=customers, converted=converted)


def test_a_tiny_shop_reads_a_sensible_number_or_that_the_difference_is_too_small():
    month = timedelta(days=30)
    shares = [0.9, 0.1]
    # 40 a month, 10 % held out: 36 sent (9 ordered), 4 held out (none ordered).
    said = outlook.outlook([group(36, 9), group(4, 0)], shares, month, told=False)
    assert said.state == "more" and said.more < 1000 and said.weeks <= 52
    # Nearly the same rate on both sides would take decades: said in words, not as 26,000 customers.
    close = outlook.outlook([group(36, 4), group(40, 4)], [0.5, 0.5], month, told=False)
    assert close.state == "too_small"
    assert outlook.outlook([group(30, 0), group(3, 0)], shares, month, told=False).state == "no_orders"
    assert outlook.outlook([group(0, 0), group(0, 0)], shares, month, told=False).state == "none"
    assert outlook.outlook([group(300, 90), group(100, 10)], shares, month, told=True).state == "told"
    assert outlook.about(53_330) == 54_000 and outlook.about(128) == 130 and outlook.about(7) == 7


def test_the_outlook_sentence_says_the_number_and_the_time():
    more = outlook.Outlook("more", 130, timedelta(days=21))
    assert result_words.outlook_sentence(more) == "Not enough customers yet — about 130 more (about 3 weeks at this pace)."
    assert "too small to tell" in result_words.outlook_sentence(outlook.Outlook("too_small"))


def test_an_ab_split_reads_which_version_is_better_and_how_likely(client):
    chances = outlook.chance_best([group(100, 10), group(100, 18)])
    assert 0.9 < chances[1] < 0.99 and abs(sum(chances) - 1) < 1e-9
    assert outlook.chance_best([group(100, 10), group(100, 18)]) == chances, "the same draws every time"
    split = incremental.SplitResult(rule=Rule(title="Offer"), at="steps[1].split",
                                    branches=[("a", group(100, 10)), ("b", group(100, 18))],
                                    comparison=incremental.compare("k", "a − b", 0, (group(100, 10), []),
                                                                   (group(100, 18), []), "ILS"),
                                    shares=[0.5, 0.5])
    says = result_words.split_says(split)
    assert re.fullmatch(r"<bdi>B</bdi> is better with 9\d % probability\.", says["best"]), says["best"]


def test_money_stays_left_to_right_in_a_hebrew_page(client, month):
    user = in_hebrew(editor())
    client.force_login(user)
    page = client.get(reverse("masa_results")).content.decode()
    assert re.search(r'<html[^>]*dir="rtl"', page)
    assert '<bdi class="masa-money" dir="ltr">₪120.00</bdi>' in page


def test_only_an_editor_is_offered_to_choose_a_winner_from_the_results(client):
    for key in ("short", "long"):
        MessageTemplate.objects.create(key=key, subject=key, body="x")
    Rule.objects.create(rule_id="ab", title="Offer test", definition={"trigger": {"event": "order_placed"}, "steps": [
        {"split": {"a": {"share": 50, "steps": [{"send": {"template": "short"}}]},
                   "b": {"share": 50, "steps": [{"send": {"template": "long"}}]}}}]})
    client.force_login(viewer())
    page = client.get(reverse("masa_results")).content.decode()
    assert "<bdi>Offer test</bdi>" in page and "Choose version" not in page
    client.force_login(editor())
    page = client.get(reverse("masa_results")).content.decode()
    card = page[page.index('class="masa-result-card masa-split-result"'):]
    assert f'action="{reverse("masa_rule_journey", args=["ab"])}?since=' in card
    assert "Choose version <bdi>A</bdi> as the winner" in card and "Choose version <bdi>B</bdi> as the winner" in card
    assert "No customer has reached it in this period yet." in card
