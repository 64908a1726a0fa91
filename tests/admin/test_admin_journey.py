"""The journey drawn per rule and per pack: every step in words with its live figures (waiting
now, passed, skipped by reason, sent, opened, clicked, converted), each a link to its customers;
rules that start one another linked; the figures read by indexed GROUP BYs."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from masa.actions.due import sweep
from masa.eventstore import record_message_event as record
from masa.models import Customer, Delivery, Rule, ScheduledAction
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file
from masa.packs.shipped import shipped_packs
from masa.reports.journey import journey_counts, reason_kind

from ..helpers import NOW, denied, order_payload, place_order, post_signed, viewer

pytestmark = pytest.mark.django_db
PERIOD = {"since": (NOW - timedelta(days=1)).date().isoformat(), "until": (NOW + timedelta(days=40)).date().isoformat()}


@pytest.fixture
def three_customers(client, signing_store, refill_rule, email_channel):
    """Ruth is sent the refill reminder and opens it; Dana bought again, so hers is skipped;
    Noa ordered later and is still waiting."""
    place_order(client, signing_store)
    place_order(client, signing_store, email="dana@example.com", user_id="VXNlcjoxMDA=", order_id="T3JkZXI6ZGFuYQ==")
    post_signed(client, signing_store, "order_created", order_payload(
        email="dana@example.com", user_id="VXNlcjoxMDA=", order_id="T3JkZXI6ZGFuYTI=", when=NOW + timedelta(days=3),
        lines=[("Pads", "absorbent", 1, 20)]))
    sweep(now=NOW + timedelta(days=25, hours=1))
    place_order(client, signing_store, email="noa@example.com", user_id="VXNlcjoxMDE=", order_id="T3JkZXI6bm9h",
                when=NOW + timedelta(days=20))
    record(Delivery.objects.get(customer__email="ruth@example.com"), "message_opened", "open-1")
    return refill_rule


def test_the_counts_of_each_step(three_customers):
    since, until = NOW - timedelta(days=1), NOW + timedelta(days=40)
    counts = journey_counts([three_customers.rule_id], since, until)
    send = counts.at(three_customers.rule_id, "steps[2]")
    assert counts.started[three_customers.rule_id] >= 3
    assert (send.sent, send.opened, send.done) == (1, 1, 1)
    assert send.waiting >= 1, "Noa's reminder is still pending"
    assert sum(send.skipped.values()) >= 1 and any("bought" in reason for reason in send.skipped)


def test_a_skip_reason_counts_together_whatever_its_dates():
    assert reason_kind("the customer ordered again on 2026-12-01") == reason_kind("the customer ordered again on 2027-01-09")
    assert reason_kind("order #1042 was cancelled") == "order … was cancelled"


def test_the_rule_journey_page_draws_each_step_with_its_figures_linking_to_customers(client, three_customers):
    client.force_login(viewer())
    page = client.get(reverse("masa_rule_journey", args=[three_customers.rule_id]), PERIOD).content.decode()
    assert '<ol class="masa-flow">' in page and "Absorbent products refill" in page
    for said in ("When", "Wait", "Check", "Send", "waiting now", "passed", "sent", "opened", "converted"):
        assert said in page, said
    assert "Time to restock, {first name}?" in page, "the message is named by its subject"
    assert "skipped: bought from that category again" in page and "&#x27;absorbent&#x27;" not in page, \
        "a skip reason in words, without the category's slug"
    waiting = reverse("masa_customers") + "?rule=refill-absorbent&amp;step=steps%5B2%5D&amp;state=waiting"
    assert waiting in page
    listed = client.get(reverse("masa_customers"), {"rule": "refill-absorbent", "step": "steps[2]", "state": "waiting"})
    assert "noa@example.com" in listed.content.decode() and "ruth@example.com" not in listed.content.decode()
    assert "are waiting at this step now" in listed.content.decode()
    opened = client.get(reverse("masa_customers"), {"rule": "refill-absorbent", "step": "steps[2]", "state": "opened",
                                                    **PERIOD}).content.decode()
    assert "ruth@example.com" in opened and "dana@example.com" not in opened
    skipped = ScheduledAction.objects.get(customer__email="dana@example.com", status="cancelled")
    reason = reason_kind(skipped.cancel_reason)
    listed = client.get(reverse("masa_customers"), {"rule": "refill-absorbent", "step": "steps[2]", "state": "skipped",
                                                    "reason": reason, **PERIOD}).content.decode()
    assert "dana@example.com" in listed and "noa@example.com" not in listed


def test_a_rule_journey_escapes_what_it_draws(client, refill_rule):
    refill_rule.title = "<script>alert(1)</script>"
    refill_rule.save()
    client.force_login(viewer())
    page = client.get(reverse("masa_rule_journey", args=[refill_rule.rule_id])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("name", sorted(shipped_packs()))
def test_every_shipped_pack_draws_with_its_chains(client, name, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    pack = import_pack(load_pack_file(f"packs/{name}/pack.yaml"))
    client.force_login(viewer())
    page = client.get(reverse("masa_pack_journey", args=[pack.pack_id])).content.decode()
    rules = Rule.objects.filter(pack=pack.pack_id)
    assert page.count('<section class="masa-journey"') == page.count('<details class="masa-fold"') == rules.count()
    assert "How the rules connect" in page
    if name == "ecommerce-starter":
        assert "starts VIP welcome" in page or "starts " in page, "a tier set starts the VIP rule"
        assert "started by" in page


def test_the_journey_counts_take_a_fixed_number_of_queries(three_customers, client, signing_store):
    since, until = NOW - timedelta(days=1), NOW + timedelta(days=40)
    with CaptureQueriesContext(connection) as before:
        journey_counts([three_customers.rule_id], since, until)
    for number in range(5):
        place_order(client, signing_store, email=f"more{number}@example.com", user_id=f"VXNlcjoy{number}",
                    order_id=f"T3JkZXI6bW9yZ{number}", when=NOW + timedelta(days=number))
    with CaptureQueriesContext(connection) as after:
        journey_counts([three_customers.rule_id], since, until)
    assert len(after) == len(before) <= 8


def test_journey_pages_need_the_viewer_permission(client, refill_rule, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("nobody", "n@shop.example", "x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert denied(client.get(reverse("masa_rule_journey", args=[refill_rule.rule_id])))
    assert denied(client.get(reverse("masa_pack_journey", args=["local"])))
    assert Customer.objects.count() == 0


def test_what_a_rule_sets_is_found_in_every_branch():
    from masa.admin.journey import facts_set

    steps = [{"wait": {"event": "message_opened", "within": "2d", "on_timeout": [{"tag": "cold"}]}},
             {"split": {"a": {"share": 50, "steps": [{"set": {"fact": "tier", "value": "vip"}}]},
                        "b": {"share": 50, "steps": [{"emit": "nudged"}]}}}]
    assert facts_set(steps) == {"tag:cold", "tier", "custom.nudged"}
