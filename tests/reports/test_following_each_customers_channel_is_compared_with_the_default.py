"""Sends on each customer's preferred channel against the pack's default channel (the
``channel_choice`` arm the send step drew), compared as a holdout is — each customer once, ordered
within the window, Newcombe's interval for the difference — and said in words with each arm's
likely range; until there are enough customers, how many more it takes."""
import random
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.admin.result_words import channel_arms_says
from masa.models import Channel, Customer, Delivery, Rule, RulePack, ScheduledAction, StoreEvent
from masa.reports import incremental as stats

from ..helpers import viewer

pytestmark = pytest.mark.django_db
PREFERRED_STEPS = [{"send": {"template": "win-back", "channel": "preferred", "channels": ["whatsapp", "sms", "email"]}}]


@pytest.fixture
def rule():
    RulePack.objects.create(pack_id="care", version="1", title="Senior care")
    return Rule.objects.create(rule_id="win-back", pack="care", title="Win back",
                               definition={"trigger": {"event": "order_placed"}, "steps": PREFERRED_STEPS})


def _shop(rule, customers: int, preferred_rate: float, default_rate: float, default_share: float = 0.5, seed=3):
    """``customers`` reached in the last weeks, ``default_share`` of them on the default channel;
    each arm orders within two days at its rate. Plus a held-out send and one without a choice,
    which the comparison leaves out."""
    rng = random.Random(seed)
    channel = Channel.objects.create(name="Shop WhatsApp", kind="whatsapp")
    at = timezone.now() - timedelta(days=10)
    for number in range(customers + 2):
        customer = Customer.objects.create(email=f"c{number}@example.com")
        arm = "default" if rng.random() < default_share else "preferred"
        event = StoreEvent.objects.create(source="t", source_id=f"s{number}", name="customer_created", customer=customer,
                                          occurred_at=at - timedelta(days=1), status="processed")
        choice = {"chosen": "Shop WhatsApp", "kind": "whatsapp", "arm": arm, "reason": "better_response"}
        held_out = number == customers
        if number == customers + 1:
            choice = {}
        action = ScheduledAction.objects.create(
            idempotency_key=f"k{number}", rule=rule, customer=customer, event=event, step=0, path="steps[0]",
            kind="send", params={"template": "win-back", "channel": "preferred"}, due_at=at, status="done",
            completed_at=at, held_out=held_out, channel_choice=choice)
        if not held_out:
            Delivery.objects.create(idempotency_key=f"k{number}", action=action, channel=channel, customer=customer,
                                    to="x", body="x", status="sent", sent_at=at, template_key="win-back")
        if number >= customers or rng.random() < (preferred_rate if arm == "preferred" else default_rate):
            StoreEvent.objects.create(source="t", source_id=f"o{number}", name="order_placed", customer=customer,
                                      occurred_at=at + timedelta(days=2), data={"total": "50", "currency": "ILS"},
                                      status="processed")


def _period():
    return timezone.now() - timedelta(days=30), timezone.now()


def test_a_clear_difference_is_said_with_each_arms_likely_range(rule):
    _shop(rule, 1200, preferred_rate=0.30, default_rate=0.10, default_share=0.3)
    [row] = stats.preference_results(*_period())
    assert row.label == "Senior care" and row.treated.customers + row.held_out.customers == 1200, \
        "the held-out send and the one without a choice are not in it"
    assert row.conversion == stats.difference_of_proportions(row.treated.converted, row.treated.customers,
                                                             row.held_out.converted, row.held_out.customers), \
        "the holdouts' interval method"
    assert row.enough and row.conversion[1] > 0
    says = channel_arms_says(row)
    low, high = stats.wilson(row.treated.converted, row.treated.customers)
    assert says["verdict"] == "Following each customer's channel brings more orders."
    assert says["arms"].startswith("Following each customer's channel: ")
    assert f"(likely {round(100 * low)} % – {round(100 * high)} %)" in says["arms"]
    assert "; the default channel: " in says["arms"]


def test_the_default_channel_winning_is_said_too(rule):
    _shop(rule, 1200, preferred_rate=0.05, default_rate=0.25)
    [row] = stats.preference_results(*_period())
    assert channel_arms_says(row)["verdict"] == "The default channel brings more orders."


def test_too_few_customers_says_how_many_more_as_a_holdout_does(rule):
    _shop(rule, 40, preferred_rate=0.30, default_rate=0.15)
    [row] = stats.preference_results(*_period())
    says = channel_arms_says(row)
    assert not row.enough
    assert re.fullmatch(r"Not enough customers yet — about [\d,]+ more \(about \d+ weeks? at this pace\)\.",
                        says["verdict"]) or says["verdict"].startswith("The difference is too small to tell"), says


def test_no_customer_on_the_default_channel_yet_is_said_in_words(rule):
    _shop(rule, 20, preferred_rate=0.3, default_rate=0.3, default_share=0.0)
    [row] = stats.preference_results(*_period())
    says = channel_arms_says(row)
    assert says["arms"] == "" and "No customer has reached both groups yet" in says["verdict"]


def test_a_pack_that_never_sends_on_the_preferred_channel_has_no_comparison(rule):
    Rule.objects.filter(pk=rule.pk).update(definition={"trigger": {"event": "order_placed"},
                                                       "steps": [{"send": {"template": "preferred-customers"}}]})
    assert stats.preference_results(*_period()) == []


def test_the_results_and_journey_pages_say_it_with_the_statistics_in_the_details(client, rule):
    _shop(rule, 1200, preferred_rate=0.30, default_rate=0.10)
    client.force_login(viewer())
    page = client.get(reverse("masa_results")).content.decode()
    card = page[page.index("Does following each customer's channel bring more orders?"):]
    card = card[:card.index("</section>")]
    outside = re.sub(r"<details.*?</details>", "", card, flags=re.S)
    assert "Following each customer&#x27;s channel brings more orders." in outside
    assert "Newcombe" not in outside and "Newcombe" in card
    journey = client.get(reverse("masa_rule_journey", args=["win-back"])).content.decode()
    assert "Following each customer&#x27;s channel: " in journey and "brings more orders" in journey
