"""Taken back with the order: what rules changed because of an order is undone when the order is
cancelled or fully refunded (docs/rule-packs.md, "Cancelled and refunded orders").

**What is recorded.** A ``set`` or ``tag`` step that is undone with its order (``undo_with_order``;
left out: true when the rule was fired by the order's own events — ``ORDER_EVENTS`` — or chained
from a change made while evaluating one, false otherwise) records each time it runs, **whether or
not the value changed**, an ``OrderChange`` (an *assertion*): the order, the fact (or
``tag:<name>``), its value before and after. A change applied later (after a wait, or in a branch)
belongs to the order of the event that answered the wait when that was an order's event (a second
order answering "wait for order_placed"), else to the order that fired the rule. A ``set`` /
``tag`` step *not* undone with an order records its assertion too (with no order, never taken
back) when its fact is one a standing order asserted — so that it holds the fact up as well.

**What taking back does** (``take_back``, when the cancellation or full refund is evaluated, before
any rule runs, so rules triggered by ``order_cancelled`` / ``order_refunded`` see the result):

* the order's assertions are taken back newest first. One is **undone** only when (a) the fact
  still holds the value it set — else something changed it since, which wins — and (b) no later
  assertion of the fact still stands (another order's not taken back, or a step's kept with no
  order) — else that one holds the value up. Undone, the fact gets its value before the
  assertion, following back over earlier assertions already taken back that had set that value
  (two cancelled orders leave no trace; a standing earlier order's value is where it stops);
* the ``once`` scopes (customer, order, product) used by the order's firings are freed, so a later
  real order fires those rules again — unless one of the firing's messages was sent already: a
  message the customer received is not sent twice;
* **a freed rule gets the chance it missed** (``missed_chances``, run by ``evaluate._second_chance``):
  when the customer has a standing event after the freed firing's, of the same name (the same
  product for a ``product`` scope) — one the used scope kept the rule from firing on — the latest
  such event is evaluated again for that rule only (and the rules its changes trigger), through
  the normal evaluation, against the customer as she is now; its actions belong to that event and
  are due as they would have been (at once if that is past). No such event: the scope stays free
  for the next real order;
* restored facts enter the evaluation of the cancellation as changes (rules triggered by a fact
  see them, as they see a store's change); no rule is fired again for the cancelled order itself.

Increments, stamps, pauses and removed tags are not taken back; purchase facts are recomputed
from the standing orders by ``facts.recompute_purchases``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q

from ..events import REVERSALS, RULE_EFFECT
from ..models import Customer, OrderChange, Rule, RuleFiring, ScheduledAction, StoreEvent

# The events of an order whose rules' changes are undone with it by default.
ORDER_EVENTS = frozenset({"order_placed", "order_paid", "order_fulfilled", "category_bought", "product_bought"})
UNDOABLE_OPS = ("set", "tag")
FREED = "|taken back by "
MISSED_LOOKBACK = 20  # events looked at, newest first, for a freed rule's missed chance


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


def record(effect: dict, change: dict | None, event: StoreEvent, customer: Customer, rule: Rule | None,
           firing: RuleFiring | None, firing_id: int | None = None,
           standing: Callable[[], set[str]] = frozenset) -> OrderChange | None:
    """The ``OrderChange`` for an applied ``set`` / ``tag`` (unsaved), or None when none is kept.

    An order's assertion is recorded **even when the value did not change** (``change`` None: the
    fact already held it), so that a standing order that set it too keeps it when another is taken
    back. A step not undone with an order is recorded (with no order: ``order_id`` "") only when
    its fact is one a standing order set (``standing()``): what it set then stays too."""
    if effect.get("op") not in UNDOABLE_OPS:
        return None
    order = attribution(event)
    undone = order is not None and effect.get("undo", order[2])
    if effect["op"] == "tag":
        fact, before, after = f"tag:{effect['value']}", change is None, True
    else:
        after = change["new"] if change is not None else (customer.facts or {}).get(effect["fact"])
        fact, before = effect["fact"], change.get("old") if change is not None else after
    if not undone and fact not in standing():
        return None
    row = OrderChange(customer=customer, order_id=order[0] if undone else "", number=order[1][:64] if undone else "",
                      rule=rule, firing=firing, event=event, fact=fact, before=before, after=after,
                      changed_at=event.occurred_at)
    if firing is None and firing_id is not None:
        row.firing_id = firing_id
    return row


def standing_facts(customer: Customer, unwritten: list[OrderChange]) -> set[str]:
    """The facts (and ``tag:<name>``) that a standing order of the customer set."""
    written = (OrderChange.objects.filter(customer=customer, taken_back_at=None).exclude(order_id="")
               .values_list("fact", flat=True).distinct())
    return {*written, *(row.fact for row in unwritten if row.customer_id == customer.pk and row.order_id)}


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
        now_value = current(customer, row.fact)
        still_set = OrderChange.objects.filter(customer_id=row.customer_id, fact=row.fact, pk__gt=row.pk,
                                               taken_back_at=None).exists()
        row.restored = False
        if now_value == row.after and not still_set:
            value = _earlier_value(row, row.before)
            row.restored = value != now_value
            if row.restored:
                _put(customer, row.fact, value)
                row.restored_to = value
        row.taken_back_at, row.taken_back_by = now, event
        OrderChange.objects.filter(pk=row.pk).update(taken_back_at=now, taken_back_by=event, restored=row.restored,
                                                     restored_to=row.restored_to)
    return rows, _free_scopes(event, customer, order_id)


def _free_scopes(event: StoreEvent, customer: Customer, order_id) -> list[RuleFiring]:
    order_events = (StoreEvent.objects.filter(customer=customer, data__order_id=order_id)
                    .exclude(name__in=REVERSALS).exclude(pk=event.pk))
    firings = (RuleFiring.objects.filter(customer=customer, event__in=order_events, scope_key__startswith="customer:")
               .exclude(scope_key__contains=FREED).select_related("rule", "event"))
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


def missed_chances(event: StoreEvent, customer: Customer, freed: list[RuleFiring]) -> list[tuple[StoreEvent, set[str]]]:
    """The chances the freed firings' rules missed: for each freed ``customer`` (or ``product``)
    scope, the customer's latest standing event after the freed firing's, of the same name (for a
    product scope, of the same product) — an event the used scope kept the rule from firing on.
    Returned as (that event, the rule ids to give it), oldest event first. An ``order`` scope kept
    no other order from anything: none."""
    gone = {str(order_id) for order_id in StoreEvent.objects.filter(customer=customer, name__in=REVERSALS)
            .filter(Q(name="order_cancelled") | Q(data__fully_refunded=True)).values_list("data__order_id", flat=True)}
    gone.add(str((event.data or {}).get("order_id")))
    chances: dict[int, tuple[StoreEvent, set[str]]] = {}
    for firing in freed:
        scope, source = freed_scope(firing), firing.event
        if ":order:" in scope or source is None or source.name in (RULE_EFFECT, *REVERSALS):
            continue
        candidates = (StoreEvent.objects.filter(customer=customer, name=source.name, pk__gt=source.pk,
                                                status=StoreEvent.Status.PROCESSED).exclude(pk=event.pk))
        if ":product:" in scope:
            candidates = candidates.filter(data__product_id=(source.data or {}).get("product_id"))
        for candidate in candidates.order_by("-pk")[:MISSED_LOOKBACK]:
            if str((candidate.data or {}).get("order_id") or "") not in gone:
                chances.setdefault(candidate.pk, (candidate, set()))[1].add(firing.rule.rule_id)
                break
    return [chances[pk] for pk in sorted(chances)]
