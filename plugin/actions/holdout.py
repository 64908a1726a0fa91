"""Holdouts: a share of customers whose marketing sends are recorded instead of sent, so that what
a rule or pack earns can be told from what would have happened anyway (``reports.incremental``).

A customer is assigned once and for good by a hash of the rule's (or pack's) id and who the
customer is in their store (``assignment.customer_key``: store and store id, or a guest's
e-mail): the same customer is always on the same side, on every worker, after a restart, on
every database, with no stored assignment (a scenario may pin the side: ``assignment.pinned``).
A rule's own percentage wins; else its pack's applies, and then the customer is held out of every
rule of the pack alike. Only marketing sends are held out —
transactional messages, effects, waits and checks all happen — and a held-out send has first
passed everything a real one passes (its checks, consent, a channel and an address)."""
from __future__ import annotations

from ..assignment import in_share, pinned_holdout
from ..models import RulePack, ScheduledAction


def in_holdout(scope: str, customer, percent: int) -> bool:
    """Whether this customer (a ``Customer``: ``assignment.customer_key``) is in the ``percent`` %
    held out of ``scope`` ("rule:x" / "pack:y")."""
    return percent > 0 and in_share(f"holdout:{scope}", customer, 0, percent)


def holdout_of(action: ScheduledAction) -> tuple[str, int] | None:
    """The scope and percentage that apply to this action's rule, or None."""
    rule = action.rule
    if rule is None:
        return None
    if rule.holdout_percent:
        return f"rule:{rule.rule_id}", rule.holdout_percent
    percent = pack_of(rule).get("holdout_percent")
    return (f"pack:{rule.pack}", percent) if percent else None


def pack_of(rule) -> dict:
    """The dosage and holdout of the rule's pack ({} without one), read once per loaded rule row:
    the sends of a batch share their rule's row, so its pack is read once per batch."""
    if not rule.pack:
        return {}
    if getattr(rule, "_pack_settings", None) is None:
        rule._pack_settings = RulePack.objects.filter(pack_id=rule.pack).values("dosage", "holdout_percent").first() or {}
    return rule._pack_settings


def held_out(action: ScheduledAction) -> bool:
    """Whether this send is recorded instead of sent: marketing, and the customer held out."""
    if action.kind != "send" or action.params.get("class", "marketing") != "marketing":
        return False
    holdout = holdout_of(action)
    if holdout is None:
        return False
    pinned = pinned_holdout(action.rule.rule_id)
    return pinned if pinned is not None else in_holdout(holdout[0], action.customer, holdout[1])
