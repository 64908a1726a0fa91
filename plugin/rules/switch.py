"""Turn rules on and off; the shop admin decides whether their pending actions still go out."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..actions import schedule
from ..models import Rule, ScheduledAction


@dataclass(frozen=True)
class SwitchResult:
    changed: list[Rule]
    cancelled: int


def pending_actions(rules) -> int:
    """How many actions of these rules are still waiting to be performed."""
    return ScheduledAction.objects.filter(rule__in=list(rules), status=ScheduledAction.Status.PENDING).count()


def waiting_customers(rules) -> int:
    """How many customers these rules' pending actions are still waiting for."""
    return (ScheduledAction.objects.filter(rule__in=list(rules), status=ScheduledAction.Status.PENDING)
            .values("customer").distinct().count())


@transaction.atomic
def set_enabled(rules, enabled: bool, cancel_pending: bool = True) -> SwitchResult:
    """Set the on/off switch (never a revision: publishing an old revision keeps it).

    Turning off stops the customers already waiting: the rules' pending actions are cancelled with
    a reason (``cancel_pending``, the default, so "off" means nothing more goes out); with
    ``cancel_pending=False`` ("let them finish") they are performed when due, their guards
    re-checked as always. Turning on cancels nothing.
    """
    rules = list(Rule.objects.select_for_update().filter(pk__in=[rule.pk for rule in rules]))
    changed = [rule for rule in rules if rule.enabled != enabled]
    for rule in changed:
        rule.enabled = enabled
        rule.save(update_fields=["enabled", "updated_at"])
    cancelled = 0
    if cancel_pending and not enabled:
        cancelled = schedule.cancel(ScheduledAction.objects.filter(rule__in=rules), "the rule was turned off",
                                    timezone.now())
    return SwitchResult(changed=changed, cancelled=cancelled)
