"""*Choose the winner* of an A/B split: from now on everyone takes the winning branch.

The winner is stored on the rule (``Rule.split_winners``, kept across revisions like the on/off
switch), so the ``split`` guard lets only the winner's actions run and new firings schedule only
them. Customers already on a losing branch are moved: its pending actions are cancelled with the
reason, and the winner's branch is scheduled for the same run (its waits counted from the
triggering event, as if they had taken it from the start; what is already due goes at the next
sweep, its checks, consent and caps applied as ever)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..actions import schedule
from ..models import Rule, RulePack, ScheduledAction
from .segments import compile_definition


@dataclass
class Moved:
    cancelled: int
    scheduled: int


def branches(rule: Rule, at: str) -> list[str]:
    """The branch names of the split at ``at`` ("steps[2].split")."""
    prefix = f"{at}."
    return sorted({path[len(prefix):].split("[", 1)[0] for path in _paths(rule) if path.startswith(prefix)})


def _paths(rule: Rule) -> list[str]:
    return [planned.key for planned in _compiled(rule).plan]


def _compiled(rule: Rule):
    pack = RulePack.objects.filter(pack_id=rule.pack).first()
    return compile_definition(rule.rule_id, rule.definition, pack.resolved_parameters() if pack else {},
                              pack.segments if pack else {})


def choose_winner(rule: Rule, at: str, winner: str) -> Moved:
    if winner not in branches(rule, at):
        raise ValueError(f"the split at {at} has no branch {winner!r}")
    now = timezone.now()
    winning = [planned for planned in _compiled(rule).plan if planned.key.startswith(f"{at}.{winner}[")]
    with transaction.atomic():
        locked = Rule.objects.select_for_update().get(pk=rule.pk)
        locked.split_winners = {**(locked.split_winners or {}), at: winner}
        Rule.objects.filter(pk=rule.pk).update(split_winners=locked.split_winners, updated_at=now)  # evaluation reloads
        rule.split_winners = locked.split_winners
        losing = (ScheduledAction.objects.select_for_update(of=("self",)).select_related("firing", "customer", "event")
                  .filter(rule=rule, status=ScheduledAction.Status.PENDING, path__startswith=f"{at}.")
                  .exclude(path__startswith=f"{at}.{winner}["))
        runs = {}
        for action in losing:
            runs.setdefault(action.idempotency_key[:-len(action.path) - 1], action)
        cancelled = schedule.cancel(ScheduledAction.objects.filter(pk__in=[a.pk for a in losing]),
                                    f"the test chose branch {winner} of the split", now)
        rows = []
        for key_prefix, action in runs.items():
            rows += schedule.plan_rows(winning, rule=rule, firing=action.firing, customer=action.customer,
                                       event=action.event, key_prefix=key_prefix)
        schedule.write(rows)
    return Moved(cancelled, len(rows))
