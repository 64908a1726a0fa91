"""Issue 31, item 5 (fix round): a ``once`` rule whose scope a cancelled order had used gets the
chance that scope made it miss: it is evaluated again, through the normal evaluation, for the
customer's latest standing event it would have fired on (``takeback.missed_chances``,
``evaluate._second_chance``). With no standing order, nothing fires and the scope stays free."""
from datetime import timedelta

import pytest

from masa.models import Customer, MessageTemplate, OrderChange, RuleFiring, ScheduledAction, StoreEvent

from .test_taken_back_with_the_order import T0, rule, signal_order

pytestmark = pytest.mark.django_db
WELCOME = [{"wait": "1d"}, {"send": {"template": "welcome", "channel": "email"}}]


@pytest.fixture
def welcome(db):
    MessageTemplate.objects.create(key="welcome", subject="Welcome", body="Hi")
    return rule("welcome", trigger={"event": "order_placed"}, once="customer", steps=WELCOME)


def sends():
    return [(a.status, a.event.data.get("order_id"), a.due_at) for a in
            ScheduledAction.objects.filter(kind="send").select_related("event").order_by("pk")]


def order_event(number):
    return StoreEvent.objects.get(name="order_placed", data__order_id=f"o{number}")


def test_order_1_cancelled_while_order_2_stands_the_welcome_comes_for_order_2(welcome):
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(hours=1))
    assert [(status, order) for status, order, _ in sends()] == [("pending", "o1")], "order 2: scope used"

    signal_order(1, T0 + timedelta(hours=2), cancel=True)

    assert sends() == [("cancelled", "o1", T0 + timedelta(days=1)),
                       ("pending", "o2", T0 + timedelta(hours=1, days=1))], "due a day after order 2"
    customer = Customer.objects.get()
    firing = RuleFiring.objects.get(rule=welcome, scope_key=f"customer:{customer.pk}")
    assert firing.event == order_event(2)

    # Order 2 cancelled as well: no standing order is left, the welcome goes with it, scope free.
    signal_order(2, T0 + timedelta(hours=3), cancel=True)
    assert [status for status, _, _ in sends()] == ["cancelled", "cancelled"]
    assert not RuleFiring.objects.filter(rule=welcome, scope_key=f"customer:{customer.pk}").exists()

    signal_order(3, T0 + timedelta(days=5))
    assert sends()[-1][:2] == ("pending", "o3"), "her next real order is welcomed"


def test_with_no_other_order_nothing_is_sent_and_the_scope_waits_for_her_next_real_order(welcome):
    signal_order(1, T0)
    signal_order(1, T0 + timedelta(hours=2), cancel=True)
    assert [status for status, _, _ in sends()] == ["cancelled"]
    customer = Customer.objects.get()
    assert not RuleFiring.objects.filter(rule=welcome, scope_key=f"customer:{customer.pk}").exists()
    signal_order(2, T0 + timedelta(days=1))
    assert sends()[-1][:2] == ("pending", "o2")


def test_the_missed_chance_is_the_latest_standing_order_not_a_cancelled_one(welcome):
    for number in (1, 2, 3):
        signal_order(number, T0 + timedelta(hours=number))
    signal_order(3, T0 + timedelta(hours=4), cancel=True)  # order 3 never fired it: nothing changes
    assert [(status, order) for status, order, _ in sends()] == [("pending", "o1")]
    signal_order(1, T0 + timedelta(hours=5), cancel=True)
    assert [(status, order) for status, order, _ in sends()] == [("cancelled", "o1"), ("pending", "o2")]


def test_the_rules_conditions_are_checked_against_her_as_she_is_without_the_cancelled_order():
    """A first-order tag: order 2 was her second order; with order 1 cancelled it is her first."""
    rule("first-order", trigger={"event": "order_placed"}, once="customer",
         conditions=[{"fact": "orders_count", "op": "==", "value": 1}], steps=[{"tag": "first-timer"}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(days=1))
    signal_order(1, T0 + timedelta(days=2), cancel=True)
    customer = Customer.objects.get()
    assert customer.tags == ["first-timer"], "taken back with order 1, set again for order 2"
    assert OrderChange.objects.filter(order_id="o2", fact="tag:first-timer", taken_back_at=None).exists()

    signal_order(2, T0 + timedelta(days=3), cancel=True)
    customer.refresh_from_db()
    assert customer.tags == []


def placed(number, at, total):
    from django.test import TestCase

    from masa import signals

    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id=f"o{number}", customer_id="c1", email="c@example.com",
                                  occurred_at=at, total=total, lines=[{"product_id": "p", "quantity": 1,
                                                                        "total": total, "category": "mugs"}])


def test_a_standing_order_that_does_not_meet_the_rules_trigger_does_not_fire_it():
    rule("big-spender", trigger={"event": "order_placed", "min_total": 100}, once="customer",
         steps=[{"tag": "big"}])
    placed(1, T0, 150)
    placed(2, T0 + timedelta(days=1), 20)
    assert Customer.objects.get().tags == ["big"]
    signal_order(1, T0 + timedelta(days=2), cancel=True)
    assert Customer.objects.get().tags == []
    assert not RuleFiring.objects.filter(event=order_event(2)).exists()

    placed(3, T0 + timedelta(days=3), 120)
    assert Customer.objects.get().tags == ["big"], "the scope stayed free for a real big order"


def test_only_the_freed_rule_fires_again_not_the_standing_orders_other_rules(welcome):
    rule("thanks", trigger={"event": "order_placed"}, steps=[{"increment": {"fact": "thanked"}}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(hours=1))
    signal_order(1, T0 + timedelta(hours=2), cancel=True)
    customer = Customer.objects.get()
    assert customer.facts["thanked"] == 2, "order 2's own rules are not run again"
    assert RuleFiring.objects.filter(rule__rule_id="thanks").count() == 2


def test_the_missed_chance_comes_also_when_a_rule_on_the_cancellation_changes_her(welcome):
    rule("noted", trigger={"event": "order_cancelled"}, steps=[{"set": {"fact": "cancelled_once", "value": True}}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(hours=1))
    signal_order(1, T0 + timedelta(hours=2), cancel=True)
    assert Customer.objects.get().facts.get("cancelled_once") is True
    assert [(status, order) for status, order, _ in sends()] == [("cancelled", "o1"), ("pending", "o2")]
