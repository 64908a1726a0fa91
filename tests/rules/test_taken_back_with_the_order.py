"""Issue 31, item 5: what rules changed because of an order is taken back with it.

Through the real path (a signed Saleor webhook → intake → event store → evaluation → the sweep),
with the shipped e-commerce starter's rules: the order that made a customer "regular" and
"returning" is cancelled → the tier and the tag are taken back and the "second order" wait waits
again; a partial refund takes nothing back; a cancelled first order frees the once-per-customer
"second order" rule for her next real order. Then the rules of taking back, one by one."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.test import TestCase
from django.utils import translation

from masa.actions.due import sweep
from masa.admin import timeline
from masa.models import Customer, OrderChange, Rule, RuleFiring, ScheduledAction, StoreEvent
from masa.packs import load_pack_file
from masa.packs.installer import import_pack
from masa.rules import takeback
from masa.rules.compiler import RuleDefinitionError, compile_rule

from ..helpers import customer_payload, order_payload, post_signed

pytestmark = pytest.mark.django_db
STARTER = Path(__file__).resolve().parents[2] / "packs" / "ecommerce-starter" / "pack.yaml"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def starter(db):
    import_pack(load_pack_file(STARTER))


def order(client, store, days_ago: float, order_id: str):
    payload = order_payload(order_id=order_id, when=NOW - timedelta(days=days_ago),
                            lines=[("House blend", "coffee-beans", 1, 20.0)])
    assert post_signed(client, store, "order_created", payload).status_code == 200
    return payload


def take_back(client, store, payload, how="order_cancelled"):
    later = {**payload, "issuedAt": datetime.now(timezone.utc).isoformat()}
    assert post_signed(client, store, how, later).status_code == 200


def run_due(at=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        sweep(now=at or datetime.now(timezone.utc))


def second_order_wait(customer):
    return ScheduledAction.objects.filter(customer=customer, rule__rule_id="es-second-order", kind="await")


def test_the_order_that_made_her_regular_and_returning_is_cancelled_and_both_are_taken_back(client, signing_store,
                                                                                             starter):
    post_signed(client, signing_store, "customer_created", customer_payload())
    order(client, signing_store, 10, "T3JkZXI6MQ==")
    second = order(client, signing_store, 5, "T3JkZXI6Mg==")
    run_due()  # the "second order" wait's answer: tag returning (an effect, performed by the sweep)
    customer = Customer.objects.get()
    assert customer.facts.get("tier") == "regular" and "returning" in customer.tags
    assert second_order_wait(customer).get().status == "done"

    take_back(client, signing_store, second)

    customer.refresh_from_db()
    assert "tier" not in customer.facts, "the tier before the order was none"
    assert "returning" not in customer.tags
    assert customer.orders_count == 1
    wait = second_order_wait(customer).get()
    assert wait.status == "pending" and wait.outcome.startswith("waiting again: order #")
    changes = OrderChange.objects.filter(customer=customer).order_by("pk")
    assert [(c.fact, c.restored) for c in changes] == [("tier", True), ("tag:returning", True)]
    assert all(c.taken_back_by.name == "order_cancelled" for c in changes)

    # No second order came after all: when the month is up, the nudge goes out.
    run_due(wait.due_at + timedelta(minutes=1))
    run_due(wait.due_at + timedelta(minutes=2))
    assert ScheduledAction.objects.filter(customer=customer, rule__rule_id="es-second-order", kind="send").exists()

    with translation.override("en"):
        lines = timeline.story(customer, describe=lambda action: action.kind)
    cancelled = next(line for line in lines if line.kind == "cancelled")
    assert "Taken back with the order: tier cleared" in cancelled.why
    assert "Taken back with the order: tag returning removed" in cancelled.why


def test_a_partial_refund_takes_nothing_back_and_a_full_one_does(client, signing_store, starter):
    post_signed(client, signing_store, "customer_created", customer_payload())
    order(client, signing_store, 10, "T3JkZXI6Mw==")
    second = order(client, signing_store, 5, "T3JkZXI6NA==")
    run_due()

    take_back(client, signing_store, second, how="order_refunded")
    customer = Customer.objects.get()
    assert customer.facts.get("tier") == "regular" and "returning" in customer.tags
    assert not OrderChange.objects.filter(taken_back_at__isnull=False).exists()

    take_back(client, signing_store, second, how="order_fully_refunded")
    customer.refresh_from_db()
    assert "tier" not in customer.facts and "returning" not in customer.tags


def test_a_cancelled_first_order_frees_the_once_per_customer_nudge_for_her_real_order(client, signing_store, starter):
    post_signed(client, signing_store, "customer_created", customer_payload())
    first = order(client, signing_store, 10, "T3JkZXI6NQ==")
    customer = Customer.objects.get()
    used = RuleFiring.objects.get(customer=customer, rule__rule_id="es-second-order")
    assert used.scope_key == f"customer:{customer.pk}"

    take_back(client, signing_store, first)
    used.refresh_from_db()
    assert used.scope_key.startswith(f"customer:{customer.pk}{takeback.FREED}")
    assert second_order_wait(customer).get().status == "cancelled"

    order(client, signing_store, 2, "T3JkZXI6Ng==")
    firings = RuleFiring.objects.filter(customer=customer, rule__rule_id="es-second-order")
    assert firings.count() == 2
    assert firings.get(scope_key=f"customer:{customer.pk}") != used
    waiting = second_order_wait(customer).get(status="pending")
    assert waiting.firing.scope_key == f"customer:{customer.pk}"

    with translation.override("en"):
        lines = timeline.story(customer, describe=lambda action: action.kind)
    cancelled = next(line for line in lines if line.kind == "cancelled")
    assert any("can start again for this customer" in said for said in cancelled.why)


def test_a_once_scope_whose_message_went_out_is_not_freed(client, signing_store, starter):
    """A message the customer received is not sent twice: the nudge went, then the order was cancelled."""
    post_signed(client, signing_store, "customer_created", customer_payload())
    first = order(client, signing_store, 40, "T3JkZXI6Nw==")
    customer = Customer.objects.get()
    wait = second_order_wait(customer).get()
    ScheduledAction.objects.filter(pk=wait.pk).update(status="done")
    ScheduledAction.objects.create(idempotency_key="nudge-sent", firing=wait.firing, rule=wait.rule, customer=customer,
                                   event=wait.event, step=0, kind="send", due_at=NOW, status="done",
                                   params={"template": "second-order-nudge"})
    take_back(client, signing_store, first)
    assert RuleFiring.objects.get(pk=wait.firing_id).scope_key == f"customer:{customer.pk}"


# The rules of taking back, one by one (through the evaluation, with Django signals' in-process orders).

def rule(rule_id, **definition):
    return Rule.objects.create(rule_id=rule_id, title=rule_id, definition=definition)


def signal_order(number, at, cancel=False):
    from masa import signals

    signal = signals.order_cancelled if cancel else signals.order_placed
    with TestCase.captureOnCommitCallbacks(execute=True):
        signal.send(sender=None, order_id=f"o{number}", customer_id="c1", email="c@example.com", occurred_at=at,
                    marketing_consent=True, lines=[{"product_id": "p", "quantity": 1, "total": 5.0,
                                                    "category": "mugs"}])


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_a_later_change_wins_and_two_cancelled_orders_leave_no_trace():
    rule("tier-by-count-2", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": "==", "value": 2}],
         steps=[{"set": {"fact": "tier", "value": "regular"}}])
    rule("tier-by-count-3", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": "==", "value": 3}],
         steps=[{"set": {"fact": "tier", "value": "vip"}}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(days=1))
    signal_order(3, T0 + timedelta(days=2))
    assert Customer.objects.get().facts["tier"] == "vip"

    signal_order(2, T0 + timedelta(days=3), cancel=True)
    assert Customer.objects.get().facts["tier"] == "vip", "order 3 changed the tier since: it is kept"
    kept = OrderChange.objects.get(order_id="o2")
    assert kept.taken_back_at is not None and kept.restored is False

    signal_order(3, T0 + timedelta(days=4), cancel=True)
    assert "tier" not in Customer.objects.get().facts, "back past order 2's regular, itself taken back"


def test_a_chained_change_goes_with_the_order_and_a_step_may_keep_its_change():
    rule("gold", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": ">=", "value": 2}],
         steps=[{"set": {"fact": "tier", "value": "gold"}}, {"set": {"fact": "welcomed", "value": True,
                                                                      "undo_with_order": False}}])
    rule("gold-perk", trigger={"fact": "tier", "to": "gold"}, steps=[{"tag": "free-shipping"}])
    signal_order(1, T0)
    signal_order(2, T0 + timedelta(days=1))
    customer = Customer.objects.get()
    assert customer.facts == {"tier": "gold", "welcomed": True} and customer.tags == ["free-shipping"]

    signal_order(2, T0 + timedelta(days=2), cancel=True)
    customer.refresh_from_db()
    assert customer.facts == {"welcomed": True} and customer.tags == []


def test_a_rule_not_fired_by_the_order_keeps_its_changes_unless_its_step_says_otherwise():
    rule("lapse", trigger={"event": "order_cancelled"}, steps=[{"set": {"fact": "lapsed", "value": True}}])
    signal_order(1, T0)
    signal_order(1, T0 + timedelta(days=1), cancel=True)
    assert Customer.objects.get().facts == {"lapsed": True}
    assert not OrderChange.objects.exists()


def test_undo_with_order_compiles_into_the_effect_and_is_refused_when_not_true_or_false():
    compiled = compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": [
        {"set": {"fact": "tier", "value": "gold", "undo_with_order": False}},
        {"tag": {"name": "returning", "undo_with_order": True}}, {"tag": "vip"}]})
    assert compiled.effects == [{"op": "set", "fact": "tier", "value": "gold", "undo": False},
                                {"op": "tag", "fact": "tags", "value": "returning", "undo": True},
                                {"op": "tag", "fact": "tags", "value": "vip"}]
    for bad in ({"set": {"fact": "tier", "value": "gold", "undo_with_order": "yes"}},
                {"tag": {"name": "x", "undo_with_order": 1}}, {"tag": {"name": ""}}, {"tag": {"tag": "x"}}):
        with pytest.raises(RuleDefinitionError):
            compile_rule("r", {"trigger": {"event": "order_placed"}, "steps": [bad]})


def test_the_step_says_in_words_whether_it_is_taken_back():
    from masa.rules.sentences import rule_sentence

    definition = {"trigger": {"event": "order_placed"}, "steps": [
        {"set": {"fact": "tier", "value": "gold", "undo_with_order": False}},
        {"tag": {"name": "returning", "undo_with_order": True}}]}
    with translation.override("en"):
        said = str(rule_sentence(definition))
    assert "kept even if the order is cancelled" in said
    assert "tag them" in said and "taken back if the order is cancelled or fully refunded" in said


def test_a_restored_fact_is_a_change_that_fact_triggers_see_in_the_cancellations_evaluation():
    rule("regular", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": "==", "value": 2}],
         steps=[{"set": {"fact": "tier", "value": "regular"}}])
    rule("vip", trigger={"event": "order_placed"}, conditions=[{"fact": "orders_count", "op": "==", "value": 3}],
         steps=[{"set": {"fact": "tier", "value": "vip"}}])
    rule("count-regular", trigger={"fact": "tier", "to": "regular"}, steps=[{"increment": {"fact": "became_regular"}}])
    for number in (1, 2, 3):
        signal_order(number, T0 + timedelta(days=number))
    assert Customer.objects.get().facts == {"tier": "vip", "became_regular": 1}
    signal_order(3, T0 + timedelta(days=5), cancel=True)
    assert Customer.objects.get().facts == {"tier": "regular", "became_regular": 2}


def test_what_comes_next_says_in_words_why_a_step_waits_again(client, signing_store, starter):
    from masa.admin.customer_actions import waiting_note

    post_signed(client, signing_store, "customer_created", customer_payload())
    order(client, signing_store, 10, "T3JkZXI6OQ==")
    second = order(client, signing_store, 5, "T3JkZXI6MTA=")
    run_due()
    take_back(client, signing_store, second)
    wait = second_order_wait(Customer.objects.get()).get()
    with translation.override("en"):
        assert waiting_note(wait).startswith("Waiting again: order #")
    with translation.override("he"):
        note = waiting_note(wait)
    assert note.startswith("ממתין שוב: הזמנה #") and "waiting again" not in note
