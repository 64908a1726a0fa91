"""Taken back with the order: what rules changed because of an order is undone when the order is
cancelled or fully refunded (docs/rule-packs.md, "Cancelled and refunded orders").

**What is recorded.** A ``set`` or ``tag`` step that is undone with its order (``undo_with_order``;
left out: true when the rule was fired by the order's own events — ``ORDER_EVENTS`` — or chained
from a change made while evaluating one, false otherwise) records each change it makes as an
``OrderChange``: the order, the fact (or ``tag:<name>``), its value before and after. A change
applied later (after a wait, or in a branch) belongs to the order of the event that answered the
wait when that was an order's event (a second order answering "wait for order_placed"), else to
the order that fired the rule.

**What taking back does** (``take_back``, when the cancellation or full refund is evaluated, before
any rule runs, so rules triggered by ``order_cancelled`` / ``order_refunded`` see the result):

* the order's changes are undone newest first; each is restored to its value before **only if
  the fact still holds the value the order set** — a later change (another order, a rule, the
  store) wins and is kept. The value restored skips over earlier changes already taken back (two
  cancelled orders leave no trace);
* the ``once`` scopes (customer, order, product) used by the order's firings are freed, so a later
  real order fires those rules again — unless one of the firing's messages was sent already: a
  message the customer received is not sent twice;
* restored facts enter the evaluation of the cancellation as changes (rules triggered by a fact
  see them, as they see a store's change); no rule is fired again for the cancelled order itself.

Increments, stamps, pauses and removed tags are not taken back; purchase facts are recomputed
from the standing orders by ``facts.recompute_purchases``.
"""
from __future__ import annotations

from datetime import datetime

from ..events import REVERSALS, RULE_EFFECT
from ..models import Customer, OrderChange, Rule, RuleFiring, ScheduledAction, StoreEvent

# The events of an order whose rules' changes are undone with it by default.
ORDER_EVENTS = frozenset({"order_placed", "order_paid", "order_fulfilled", "category_bought", "product_bought"})
UNDOABLE_OPS = ("set", "tag")
FREED = "|taken back by "


def reverses(event: StoreEvent) -> bool:
    """Whether this event takes its order back (a cancellation, or a full refund)."""
    return event.name in REVERSALS and (event.name == "order_cancelled" or bool(event.data.get("fully_refunded")))


def attribution(event: StoreEvent) -> tuple[str, str, bool] | None:
    """(order id, its number, whether its changes are undone by default) of the changes made while
    evaluating ``event``; None when the event is no order's."""
    data = event.data or {}
    if event.name in REVERSALS or not data.get("order_id"):
        return None
    source = data.get("order_event") if event.name == RULE_EFFECT else event.name
    return str(data["order_id"]), str(data.get("number") or ""), source in ORDER_EVENTS


def record(effect: dict, change: dict, event: StoreEvent, customer: Customer, rule: Rule | None,
           firing: RuleFiring | None, firing_id: int | None = None) -> OrderChange | None:
    """The ``OrderChange`` for an applied effect (unsaved), or None when it is not undone with an order."""
    if effect.get("op") not in UNDOABLE_OPS:
        return None
    order = attribution(event)
    if order is None or not effect.get("undo", order[2]):
        return None
    if effect["op"] == "tag":
        fact, before, after = f"tag:{effect['value']}", False, True
    else:
        fact, before, after = effect["fact"], change.get("old"), change["new"]
    row = OrderChange(customer=customer, order_id=order[0], number=order[1][:64], rule=rule, firing=firing,
                      event=event, fact=fact, before=before, after=after, changed_at=event.occurred_at)
    if firing is None and firing_id is not None:
        row.firing_id = firing_id
    return row


def current(customer: Customer, fact: str):
    if fact.startswith("tag:"):
        return fact[4:] in (customer.tags or [])
    return (customer.facts or {}).get(fact)


def _put(customer: Customer, fact: str, value) -> None:
    if fact.startswith("tag:"):
        tags = [tag for tag in customer.tags or [] if tag != fact[4:]]
        customer.tags = [*tags, fact[4:]] if value else tags
    elif value is None:
        customer.facts = {k: v for k, v in (customer.facts or {}).items() if k != fact}
    else:
        customer.facts = {**(customer.facts or {}), fact: value}


def _earlier_value(row: OrderChange, value):
    """``value``, or — when it is what an earlier change taken back had set — what was there
    before that one (following such changes back)."""
    previous = (OrderChange.objects.filter(customer_id=row.customer_id, fact=row.fact, pk__lt=row.pk)
                .order_by("-pk"))
    for earlier in previous[:20]:
        if earlier.taken_back_at is None or earlier.after != value:
            break
        value = earlier.before
    return value


def take_back(event: StoreEvent, customer: Customer, now: datetime) -> tuple[list[OrderChange], list[RuleFiring]]:
    """Undo the order's recorded changes on ``customer`` (in memory; the evaluation saves it) and
    free the once scopes of its firings; returns (the changes taken back, the firings freed)."""
    order_id = (event.data or {}).get("order_id")
    if not order_id:
        return [], []
    rows = list(OrderChange.objects.filter(customer=customer, order_id=str(order_id), taken_back_at=None)
                .order_by("-pk"))
    for row in rows:
        row.restored = current(customer, row.fact) == row.after
        if row.restored:
            _put(customer, row.fact, _earlier_value(row, row.before))
        row.taken_back_at, row.taken_back_by = now, event
        OrderChange.objects.filter(pk=row.pk).update(taken_back_at=now, taken_back_by=event, restored=row.restored)
    return rows, _free_scopes(event, customer, order_id)


def _free_scopes(event: StoreEvent, customer: Customer, order_id) -> list[RuleFiring]:
    order_events = (StoreEvent.objects.filter(customer=customer, data__order_id=order_id)
                    .exclude(name__in=REVERSALS).exclude(pk=event.pk))
    firings = (RuleFiring.objects.filter(customer=customer, event__in=order_events, scope_key__startswith="customer:")
               .exclude(scope_key__contains=FREED).select_related("rule"))
    sent = set(ScheduledAction.objects.filter(firing__in=firings, kind="send", status=ScheduledAction.Status.DONE,
                                              held_out=False).values_list("firing_id", flat=True))
    freed = [firing for firing in firings if firing.pk not in sent]
    for firing in freed:
        firing.scope_key = f"{firing.scope_key}{FREED}{event.pk}"[:255]
        RuleFiring.objects.filter(pk=firing.pk).update(scope_key=firing.scope_key)
    return freed


def freed_scope(firing: RuleFiring) -> str:
    """The scope a freed firing had used."""
    return firing.scope_key.split(FREED, 1)[0]
