"""A scenario can say everything a pack does (docs/rule-packs.md, "Scenarios"): the customer's
language, time zone, country, phone (or none), e-mail, id, a guest; a broadcast; a full or partial
refund; a message's subject; and A/B splits and holdouts decided by the customer's stable identity
(the same on every run on PostgreSQL, where a rolled-back customer gets a new database id), or
pinned by the scenario."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from masa.assignment import customer_key, in_share
from masa.models import Customer, Delivery, RulePack
from masa.packs import load_pack
from masa.packs.scenarios import START, check, play, run_file

pytestmark = pytest.mark.django_db

KIT = """
masa_pack: 1
id: scenario-kit
version: 1.0.0
title: Scenario kit
templates:
  hello:
    subject: "Hello {{ customer.first_name }}"
    body: "Hi {{ customer.first_name }}, thanks for order #{{ order.number }}."
    locales:
      he: {subject: "שלום {{ customer.first_name }}", body: "היי {{ customer.first_name }}, תודה על הזמנה #{{ order.number }}."}
  text-hello: {channel: sms, body: "Hi {{ customer.first_name }}"}
  later: {subject: "Ten days on", body: "How is it going?"}
  news: {subject: "News", body: "Our news, {{ customer.first_name }}"}
rules:
  - id: kit-hello
    title: Hello on each order
    trigger: {event: order_placed}
    steps:
      - send: {template: hello, class: transactional}
  - id: kit-sms
    title: A text on each order
    trigger: {event: order_placed}
    steps:
      - send: {template: text-hello, channel: sms, class: transactional}
  - id: kit-morning
    title: Hello at nine, the customer's time
    trigger: {event: order_placed}
    steps:
      - wait: {until: "09:00"}
      - send: {template: hello, class: transactional}
  - id: kit-later
    title: Ten days after the order
    trigger: {event: order_placed}
    steps:
      - wait: 10d
      - send: {template: later, class: transactional}
  - id: kit-news
    title: News by broadcast
    trigger: {event: broadcast}
    steps:
      - send: {template: news}
"""

AB = """
masa_pack: 1
id: ab-kit
version: 1.0.0
title: A/B kit
holdout: 50
templates:
  offer-a: {subject: "Offer A", body: "a"}
  offer-b: {subject: "Offer B", body: "b"}
rules:
  - id: ab-offer
    title: Which offer sells
    trigger: {event: order_placed}
    steps:
      - split:
          a: {share: 50, steps: [{send: {template: offer-a}}]}
          b: {share: 50, steps: [{send: {template: offer-b}}]}
"""
ORDER = {"at": 0, "order": [{"category": "mugs", "product": "mug"}]}


def outcome(pack_text, scenario):
    return play(load_pack(pack_text), scenario, START, {"TIME_ZONE": "UTC"})


def sent(result):
    return [(m["template"], m["at"] - START, m["subject"], m["to"]) for m in result.sent]


def test_the_customers_language_picks_the_hebrew_text_and_the_subject_is_checked():
    result = outcome(KIT, {"rules": ["kit-hello"], "customer": {"first_name": "דנה", "language": "he"},
                           "events": [ORDER], "until": "1d"})
    assert [m["subject"] for m in result.sent] == ["שלום דנה"]
    assert check({"sent": [{"template": "hello", "subject": "שלום דנה", "contains": "תודה על הזמנה #1"}]}, result) == []
    assert check({"sent": [{"template": "hello", "subject": "Hello דנה"}]}, result) == [
        "sent: 'hello' has the subject 'שלום דנה', expected 'Hello דנה'"]
    assert check({"sent": [{"template": "hello", "subject_contains": "Hello"}]}, result)


@pytest.mark.parametrize("customer, hours", [({}, 1), ({"country": "IL"}, 23),
                                             ({"time_zone": "America/New_York"}, 6),
                                             ({"country": "IL", "time_zone": "America/New_York"}, 6)])
def test_the_customers_time_zone_or_country_sets_her_nine_oclock(customer, hours):
    # The order is at 08:00 UTC on a Monday: 10:00 in Israel, 03:00 in New York.
    result = outcome(KIT, {"rules": ["kit-morning"], "customer": customer, "events": [ORDER], "until": "2d"})
    assert [(m["at"] - START).total_seconds() / 3600 for m in result.sent] == [hours]


def test_a_customer_without_a_phone_gets_no_text_and_one_with_gets_it_at_her_number():
    texted = outcome(KIT, {"rules": ["kit-sms"], "customer": {"phone": "+972501234567"}, "events": [ORDER],
                           "until": "1d"})
    assert [(m["template"], m["to"]) for m in texted.sent] == [("text-hello", "+972501234567")]
    for none in (None, ""):
        result = outcome(KIT, {"rules": ["kit-sms"], "customer": {"phone": none}, "events": [ORDER], "until": "1d"})
        assert result.sent == []


def test_the_customers_id_and_email_and_a_guest_greeted_by_her_billing_name():
    result = outcome(KIT, {"rules": ["kit-hello"], "customer": {"id": "User:42", "email": "Noa@Example.com"},
                           "events": [ORDER], "until": "1d"})
    assert [m["to"] for m in result.sent] == ["noa@example.com"]
    guest = outcome(KIT, {"rules": ["kit-hello"], "customer": {"guest": True, "email": "guest@example.com",
                                                               "first_name": "Noa"},
                          "events": [ORDER], "until": "1d"})
    assert [(m["to"], m["subject"]) for m in guest.sent] == [("guest@example.com", "Hello Noa")]


def test_a_full_refund_takes_the_order_back_and_a_partial_one_does_not():
    full = outcome(KIT, {"rules": ["kit-later"], "events": [ORDER, {"at": "1d", "order_refunded": 1, "full": True}],
                         "until": "12d"})
    assert full.sent == [] and full.cancelled == [{"rule": "kit-later", "reason": "order #1 was refunded"}]
    partial = outcome(KIT, {"rules": ["kit-later"], "until": "12d", "events": [
        ORDER, {"at": "1d", "order_refunded": 1, "full": False, "amount": 4}]})
    assert [m["template"] for m in partial.sent] == ["later"] and partial.cancelled == []


def test_a_broadcast_goes_through_the_broadcast_path_at_the_scenarios_time_to_consenting_customers():
    result = outcome(KIT, {"rules": ["kit-news"], "events": [{"at": "3d", "broadcast": "kit-news"}], "until": "4d"})
    assert sent(result) == [("news", timedelta(days=3), "News", "ruth@example.com")]
    refused = outcome(KIT, {"rules": ["kit-news"], "customer": {"marketing_consent": False},
                            "events": [{"at": "3d", "broadcast": "kit-news"}], "until": "4d"})
    assert refused.sent == []


def test_a_scenario_the_pack_cannot_play_says_why():
    pack = load_pack(KIT)
    results = run_file(pack, {"scenarios": [
        {"name": "unknown field", "customer": {"langauge": "he"}, "expect": {}},
        {"name": "unknown broadcast", "events": [{"at": 0, "broadcast": "nope"}], "expect": {}},
        {"name": "broadcast of a rule that is not one", "events": [{"at": 0, "broadcast": "kit-hello"}], "expect": {}},
        {"name": "pin on an unknown rule", "assign": {"nope": "a"}, "expect": {}},
        {"name": "holdout the pack has not", "assign": {"kit-hello": "holdout"}, "expect": {}},
        {"name": "guest cannot change details", "customer": {"guest": True},
         "events": [ORDER, {"at": "1h", "customer": {"metadata": {}}}], "expect": {}},
    ]})
    problems = {r.name: r.problems for r in results}
    assert "customer.langauge: unknown field" in problems["unknown field"][0]
    assert "the pack has no rule 'nope'" in problems["unknown broadcast"][0]
    assert "only a rule whose trigger is" in problems["broadcast of a rule that is not one"][0]
    assert "the pack has no rule 'nope'" in problems["pin on an unknown rule"][0]
    assert "has no holdout" in problems["holdout the pack has not"][0]
    assert "a guest has no account" in problems["guest cannot change details"][0]
    assert not RulePack.objects.exists() and not Delivery.objects.exists() and not Customer.objects.exists()


# ─ Assignment: a stable identity, the same outcome on every run, and pinning ─────────────────────


def expected_offer(store_id: str) -> list[str]:
    """What the stable identity decides: held out of the pack's 50 %, else branch a or b."""
    who = SimpleNamespace(store="", store_id=store_id, email="ruth@example.com")
    if in_share("holdout:pack:ab-kit", who, 0, 50):
        return []
    return ["offer-a"] if in_share("split:ab-offer:steps[0].split", who, 0, 50) else ["offer-b"]


def test_an_ab_and_holdout_scenario_decides_the_same_way_on_every_run():
    scenario = {"customer": {"id": "User:7"}, "events": [ORDER], "until": "1d"}
    runs = [[m["template"] for m in outcome(AB, scenario).sent] for _ in range(3)]
    assert runs[0] == runs[1] == runs[2] == expected_offer("User:7")


def test_different_customers_land_in_different_branches():
    seen = {}
    for number in range(12):
        store_id = f"User:{number}"
        got = [m["template"] for m in outcome(AB, {"customer": {"id": store_id}, "events": [ORDER],
                                                   "until": "1d"}).sent]
        assert got == expected_offer(store_id), store_id
        seen[tuple(got)] = store_id
    assert set(seen) == {(), ("offer-a",), ("offer-b",)}, "held out, branch a and branch b all occur"


@pytest.mark.parametrize("assign, templates", [({"ab-offer": ["send", "a"]}, ["offer-a"]),
                                               ({"ab-offer": ["send", "b"]}, ["offer-b"]),
                                               ({"ab-offer": "holdout"}, [])])
def test_a_scenario_may_pin_the_branch_and_the_holdout(assign, templates):
    for store_id in ("User:1", "User:2", "User:3"):
        result = outcome(AB, {"customer": {"id": store_id}, "assign": assign, "events": [ORDER], "until": "1d"})
        assert [m["template"] for m in result.sent] == templates


def test_pinning_a_branch_the_split_has_not_says_which_it_has():
    [result] = run_file(load_pack(AB), {"scenarios": [{"name": "c", "assign": {"ab-offer": "c"}, "expect": {}}]})
    assert "'ab-offer' has no branch 'c'; one of a, b, or holdout / send" in result.problems[0]


def test_a_customer_is_assigned_by_store_and_store_id_or_a_guests_email_never_the_database_id():
    account = SimpleNamespace(pk=1, store="shop.example", store_id="User:7", email="a@example.com")
    moved = SimpleNamespace(pk=999, store="shop.example", store_id="User:7", email="new@example.com")
    other_store = SimpleNamespace(pk=1, store="other.example", store_id="User:7", email="a@example.com")
    guest = SimpleNamespace(pk=5, store="", store_id=None, email="Guest@Example.com")
    assert customer_key(account) == customer_key(moved) == "shop.example|id:User:7"
    assert customer_key(other_store) != customer_key(account)
    assert customer_key(guest) == "|email:guest@example.com"
