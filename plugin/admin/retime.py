"""Re-timing the customers already waiting when a rule's delays change: each pending action is
due again when the new timing says, counted from the event that started it (their order), through
``actions.schedule.move``. What a rule compiles to before and after the change is compared step by
step (its place in the rule); an action whose waits did not change, or whose step is gone, stays."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from ..actions import schedule, timing
from ..models import Rule, RulePack, ScheduledAction
from ..rules.compiler import RuleDefinitionError
from ..rules.parameters import ParameterError
from ..rules.segments import compile_definition


@dataclass(frozen=True)
class Timing:
    """A rule's definition with the pack values it was compiled with."""

    definition: dict
    parameters: dict
    segments: dict

    @classmethod
    def live(cls, rule: Rule, parameters: dict | None = None) -> "Timing":
        pack = RulePack.objects.filter(pack_id=rule.pack).first()
        stored = Rule.objects.filter(pk=rule.pk).values_list("definition", flat=True).first()
        return cls(stored or {}, parameters if parameters is not None else (pack.resolved_parameters() if pack else {}),
                   pack.segments if pack else {})

    def waits(self, rule_id: str) -> dict[str, tuple]:
        """Each planned action's waits, by its place in the rule."""
        try:
            compiled = compile_definition(rule_id, self.definition, self.parameters, self.segments)
        except (RuleDefinitionError, ParameterError):
            return {}
        return {planned.key: planned.waits for planned in compiled.plan}


def waiting(rules) -> QuerySet:
    return ScheduledAction.objects.filter(rule__in=list(rules), status=ScheduledAction.Status.PENDING)


def retime(rule: Rule, before: Timing, after: Timing) -> int:
    """Move this rule's pending actions whose waits changed to their new time (now at the
    earliest: a new time already past is due at once); returns how many moved."""
    old, new = before.waits(rule.rule_id), after.waits(rule.rule_id)
    now, moved = timezone.now(), 0
    for action in waiting([rule]).select_related("event", "customer"):
        waits = new.get(action.path)
        if waits is None or old.get(action.path) == waits or action.event is None:
            continue
        due = max(timing.due_at(waits, action.event, action.customer), now)
        moved += schedule.move(ScheduledAction.objects.filter(pk=action.pk), action.event, due)
    return moved
