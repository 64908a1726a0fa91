"""Issue 31, item 5 (fix round): cancelling one order does not undo what a later order that still
stands — or a step kept with no order — also set, even when that one changed nothing because the
value was already there (``rules.takeback``: every assertion is recorded, changed or not)."""
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import translation

from masa.admin import timeline
from masa.models import Customer, OrderChange

from .test_taken_back_with_the_order import T0, rule, signal_order

pytestmark = pytest.mark.django_db


def tags():
    return Customer.objects.get().tags


def facts():
    return Customer.objects.get().facts


def test_two_orders_tag_her_buyer_cancelling_the_first_keeps_the_tag_cancelling_both_removes_it():
    rule("buyer", trigger={"event": "order_placed"}, steps=[{"tag": "buyer"}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(days=1))
    assert [(c.order_id, c.before, c.after) for c in OrderChange.objects.order_by("pk")] == [
        ("o1", False, True), ("o2", True, True)], "order 2's tag is recorded though she had it already"

    signal_order(1, T0 + timedelta(days=2), cancel=True)
    assert tags() == ["buyer"], "order 2 still stands and tagged her too"
    with translation.override("en"):
        lines = timeline.story(Customer.objects.get(), describe=lambda action: action.kind)
    cancelled = next(line for line in lines if line.kind == "cancelled")
    assert "Kept tag buyer: set again or changed after the order" in cancelled.why
    assert not any("Taken back" in said for said in cancelled.why)

    signal_order(2, T0 + timedelta(days=3), cancel=True)
    assert tags() == [], "no standing order tagged her: the tag goes"


def test_two_orders_set_the_same_fact_it_stays_until_both_are_cancelled_in_either_order():
    rule("member", trigger={"event": "order_placed"}, steps=[{"set": {"fact": "member", "value": "yes"}}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(days=1))

    signal_order(2, T0 + timedelta(days=2), cancel=True)
    assert facts().get("member") == "yes", "order 1 stands and set it"
    signal_order(1, T0 + timedelta(days=3), cancel=True)
    assert "member" not in facts(), "back to before order 1, past order 2's assertion taken back"
    with translation.override("en"):
        lines = timeline.story(Customer.objects.get(), describe=lambda action: action.kind)
    said = [why for line in lines if line.kind == "cancelled" for why in line.why]
    assert "Taken back with the order: member cleared" in said
    assert not any("member → yes" in why for why in said), "order 2 only said again what order 1 set"


def test_cancelling_the_latest_order_gives_back_the_value_a_standing_order_left_not_an_overridden_one():
    for count, tier in ((1, "regular"), (2, "vip"), (3, "regular")):
        rule(f"tier-{count}", trigger={"event": "order_placed"},
             conditions=[{"fact": "orders_count", "op": "==", "value": count}],
             steps=[{"set": {"fact": "tier", "value": tier}}])
    for number in (1, 2, 3):
        signal_order(number, T0 + timedelta(days=number))
    assert facts()["tier"] == "regular"

    signal_order(3, T0 + timedelta(days=5), cancel=True)
    assert facts()["tier"] == "vip", "order 2's vip stands; order 1's regular was overridden by it"

    signal_order(1, T0 + timedelta(days=6), cancel=True)
    assert facts()["tier"] == "vip", "order 2 set vip after order 1: cancelling order 1 changes nothing"


def test_a_step_not_undone_with_an_order_that_sets_the_same_value_holds_it_up():
    from masa import signals

    rule("member-by-order", trigger={"event": "order_placed"}, steps=[{"set": {"fact": "member", "value": "yes"}}])
    rule("member-by-invoice", trigger={"event": "custom.invoice_paid"},
         steps=[{"set": {"fact": "member", "value": "yes"}}])
    signal_order(1, T0)
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.store_event.send(sender=None, name="invoice_paid", event_id="inv-1", customer_id="c1",
                                 email="c@example.com", occurred_at=T0 + timedelta(days=1))
    kept = OrderChange.objects.get(rule__rule_id="member-by-invoice")
    assert (kept.order_id, kept.before, kept.after) == ("", "yes", "yes")

    signal_order(1, T0 + timedelta(days=2), cancel=True)
    assert facts().get("member") == "yes", "the paid invoice set it too, and is not taken back"
    kept.refresh_from_db()
    assert kept.taken_back_at is None


def test_a_step_not_undone_with_an_order_is_not_recorded_when_no_standing_order_set_its_fact():
    rule("member-by-invoice", trigger={"event": "custom.invoice_paid"},
         steps=[{"set": {"fact": "member", "value": "yes"}}, {"tag": "invoiced"}])
    from masa import signals

    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.store_event.send(sender=None, name="invoice_paid", event_id="inv-1", customer_id="c1",
                                 email="c@example.com", occurred_at=T0)
    assert facts() == {"member": "yes"} and tags() == ["invoiced"]
    assert not OrderChange.objects.exists()
