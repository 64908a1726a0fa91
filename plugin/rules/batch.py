"""What one transaction of evaluation knows and writes: the delivery's customers' pending actions
and the ``once`` scopes their rules already fired in, each listed once at the start; the firings,
planned actions, cancellations of listed actions, customers and events' statuses written once at
the end (SQL: ``rules.store``; the actions through the action stage's one writer, ``actions.schedule``).

The customers are locked for the whole transaction, so what was listed stays true except where
this evaluation changes it, and it keeps the lists up to date itself: a planned action joins its
customer's list at once (written with the rest at the end, or cancelled before it is ever written
if a later event of the same delivery voids it).

**The ordering rule.** Code that reads or writes a customer's actions in the database itself
(awaits resolved, an order reversed, a cart abandoned) runs inside ``Batch.in_database(customer)``:
everything planned so far is written first (so that code sees, and may change, every action the
evaluation knows of), and the customer's list is read again after it (so the evaluation sees what
it changed). ``tests/rules/test_ordering_rule.py`` fails on such a call outside the block.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from ..actions import schedule
from ..models import Customer, OrderChange, Rule, RuleFiring, ScheduledAction, StoreEvent
from ..sql import pipelined
from . import store


class EventRef(NamedTuple):
    pk: int
    occurred_at: datetime


@dataclass
class PendingAction:
    """A pending action as an evaluation judges it: what guards read (``actions.guards``) and what
    awaits are matched on. ``planned`` is the row while it is not written yet."""

    pk: int | None
    kind: str
    rule: Rule | None
    customer: Customer
    event: EventRef
    guard: list
    due_at: datetime
    is_marketing_send: bool
    awaited: str | None
    planned: ScheduledAction | None = None

    @classmethod
    def of_planned(cls, row: ScheduledAction) -> PendingAction:
        return cls(pk=None, kind=row.kind, rule=row.rule, customer=row.customer,
                   event=EventRef(row.event.pk, row.event.occurred_at), guard=row.guard or [], due_at=row.due_at,
                   is_marketing_send=row.is_marketing_send, awaited=row.params.get("event"), planned=row)


@dataclass
class Batch:
    """One transaction's evaluation state; ``rules`` maps rule pk → the live rule."""

    rules: dict[int, Rule]
    customers: dict = field(default_factory=dict)   # customer pk → (customer, changed fields)
    outcomes: dict = field(default_factory=dict)    # event pk → (status, error)
    firings: list[RuleFiring] = field(default_factory=list)
    actions: list[ScheduledAction] = field(default_factory=list)
    changes: list[OrderChange] = field(default_factory=list)  # what an order's firings changed (``takeback``)
    _cancels: list[tuple] = field(default_factory=list)  # (action pk, reason, at, voided by), written with the rest
    _pending: dict[int, list[PendingAction]] = field(default_factory=dict)
    _fired: set[tuple[int, str]] = field(default_factory=set)

    def prepare(self, customers: dict[int, Customer], once_scopes: dict[int, set[str]]) -> None:
        """List these customers' pending actions, and which of these (rule pk → scope keys) fired
        (both asked together)."""
        keys = set().union(*once_scopes.values()) if once_scopes else set()
        rows, fired = store.pending_and_fired(set(customers), set(once_scopes), keys)
        self._fired |= fired
        self._load_pending(customers, rows)

    def _load_pending(self, customers: dict[int, Customer], rows: list[store.PendingRow] | None = None) -> None:
        rows = store.pending_actions(set(customers)) if rows is None else rows
        missing = {row.rule_id for row in rows if row.rule_id is not None and row.rule_id not in self.rules}
        rules = {**Rule.objects.in_bulk(missing), **self.rules} if missing else self.rules
        for pk in customers:
            self._pending[pk] = []
        for row in rows:
            self._pending[row.customer_id].append(PendingAction(
                pk=row.pk, kind=row.kind, rule=rules.get(row.rule_id), customer=customers[row.customer_id],
                event=EventRef(row.event_id, row.occurred_at), guard=row.guard or [], due_at=row.due_at,
                is_marketing_send=row.kind == "send" and (row.message_class or "marketing") == "marketing",
                awaited=row.awaited))

    def know_fired(self, once_scopes: dict[int, set[str]]) -> None:
        """Ask the database which of these (rule pk → scope keys) fired too (events evaluated again)."""
        keys = set().union(*once_scopes.values()) if once_scopes else set()
        self._fired |= store.fired_scopes(set(once_scopes), keys)

    def pending(self, customer: Customer) -> list[PendingAction]:
        if customer.pk not in self._pending:
            self._load_pending({customer.pk: customer})
        return self._pending[customer.pk]

    def forget(self, customer: Customer) -> None:
        """Something else changed this customer's actions in the database: list them again when asked."""
        self._pending.pop(customer.pk, None)

    @contextmanager
    def in_database(self, customer: Customer):
        """The ordering rule: run code that reads or writes the customer's actions in the database
        inside this block. What was planned so far is written first; the customer's list is read
        again after."""
        self.write_planned()
        try:
            yield
        finally:
            self.forget(customer)

    def fired(self, rule: Rule, scope: str) -> bool:
        return (rule.pk, scope) in self._fired

    def unfire(self, scopes: list[tuple[int, str]]) -> None:
        """These (rule pk, scope) pairs were freed (their order taken back): they may fire again."""
        self._fired -= set(scopes)

    def fire(self, rule: Rule, event: StoreEvent, customer: Customer, scope: str, at: datetime) -> RuleFiring:
        firing = RuleFiring(rule=rule, rule_version=rule.version, event=event, customer=customer, scope_key=scope,
                            fired_at=at, facts_set={})
        self._fired.add((rule.pk, scope))
        self.firings.append(firing)
        return firing

    def plan(self, rows: list[ScheduledAction]) -> None:
        self.actions += rows
        pending = self.pending(rows[0].customer) if rows else []
        pending += [PendingAction.of_planned(row) for row in rows]

    def cancel(self, item: PendingAction, reason: str, cause: StoreEvent, at: datetime) -> None:
        if item.planned is not None:
            item.planned.status = ScheduledAction.Status.CANCELLED
            item.planned.cancel_reason, item.planned.completed_at, item.planned.voided_by = reason, at, cause
        else:
            self._cancels.append((item.pk, reason, at, cause.pk))
        self._pending[item.customer.pk].remove(item)

    def _write_cancels(self) -> None:
        """The listed actions cancelled so far, in one UPDATE (each with its reason, time and cause)."""
        cancels, self._cancels = self._cancels, []
        if len(cancels) > 1 and connection.vendor == "postgresql":
            pks = [pk for pk, *_ in cancels]
            reasons, times, causes = (store.by_row(pks, [cancel[position] for cancel in cancels], field)
                                      for position, field in ((1, "cancel_reason"), (2, "completed_at"), (3, "voided_by")))
            schedule.cancel(ScheduledAction.objects.filter(pk__in=store.listed(pks)), reasons, times, voided_by=causes)
            return
        for pk, reason, at, cause in cancels:
            schedule.cancel(ScheduledAction.objects.filter(pk=pk), reason, at, voided_by=cause)

    def customer_changed(self, customer: Customer, fields) -> None:
        self.customers.setdefault(customer.pk, (customer, set()))[1].update(fields)

    def write_planned(self, last: bool = False) -> None:
        """Write the firings and planned actions so far; planned actions on the lists get their ids.
        ``last``: the order changes are left for ``flush`` to write with the rest."""
        self._write_cancels()
        store.insert_firings(self.firings)
        for row in self.actions:
            if row.firing is not None:
                row.firing_id = row.firing.pk
        schedule.write(self.actions)
        if not last:
            store.insert_order_changes(self.changes)
            self.changes = []
        for pending in self._pending.values():
            for item in list(pending):
                if item.planned is None:
                    continue
                if item.planned.pk is None:  # its key was scheduled before: that row is the one listed
                    pending.remove(item)
                    continue
                item.pk, item.planned = item.planned.pk, None
        self.firings, self.actions = [], []

    def flush(self) -> None:
        self.write_planned(last=True)
        with pipelined():  # written together with the order changes: nothing more is read
            store.insert_order_changes(self.changes)
            store.update_customers(list(self.customers.values()))
            store.mark_evaluated(self.outcomes, timezone.now())
        self.changes = []
        self.customers, self.outcomes = {}, {}
