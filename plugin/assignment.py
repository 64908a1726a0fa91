"""Stable random assignment of customers, for holdouts and A/B splits: a customer's bucket for a
scope is a hash of the two, the same on every worker and after every restart, with nothing
stored. Different scopes draw independently.

A customer is hashed by who they are in their store (``customer_key``: the store and the
store's id for them; a guest, by e-mail), never by Masa's database id: the same customer lands in
the same branch on every database, so a pack's scenarios (which a rolled-back rehearsal plays
with a new database id each time) decide the same branch on every run, and a shop's customers
keep their branch when Masa's database is restored or moved.

A scenario may pin a branch (``pinned``): inside it, the pinned holdout side or split branch
of a rule is taken instead of the hash (docs/rule-packs.md, "Scenarios").
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar

BUCKETS = 10_000
HOLDOUT, SEND = "holdout", "send"

# ("holdout", rule_id) → True (held out) / False (sent); ("split", rule_id, at) → branch name.
_pins: ContextVar[dict] = ContextVar("masa_assignment_pins", default={})


def customer_key(customer) -> str:
    """What a customer is assigned by: ``store|id:<store id>``, or ``store|email:<e-mail>`` for a
    guest (no store id). A plain value (a number, a text) is its own key."""
    if not hasattr(customer, "store_id"):
        return str(customer)
    if customer.store_id:
        return f"{customer.store}|id:{customer.store_id}"
    return f"{customer.store}|email:{(customer.email or '').strip().lower()}"


def bucket(scope: str, customer) -> int:
    """0 … 9,999: this customer's place in ``scope`` ("rule:refill", "split:refill:steps[2].split")."""
    digest = hashlib.sha256(f"masa-assignment:{scope}:{customer_key(customer)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_share(scope: str, customer, start_percent: float, end_percent: float) -> bool:
    """Whether the customer's bucket falls in [start, end) percent of the range."""
    place = bucket(scope, customer)
    return start_percent * BUCKETS / 100 <= place < end_percent * BUCKETS / 100


@contextmanager
def pinned(pins: dict):
    """Inside: these assignments instead of the hash (a scenario's ``assign``)."""
    token = _pins.set({**_pins.get(), **pins})
    try:
        yield
    finally:
        _pins.reset(token)


def pinned_holdout(rule_id: str) -> bool | None:
    """True / False when a scenario pinned this rule's sends held out / sent; else None."""
    return _pins.get().get((HOLDOUT, rule_id))


def pinned_branch(rule_id: str, at: str) -> str | None:
    """The branch a scenario pinned for this rule's split at ``at``; else None."""
    return _pins.get().get(("split", rule_id, at))
