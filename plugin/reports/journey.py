"""What happened at each step of some rules: who is waiting there now, and over a period who
went past it, was skipped (by reason), failed, and was sent, opened, clicked and converted.

A step is ``(rule_id, path)``, the path as the compiler names it (``steps[2]``,
``steps[3].wait.on_timeout[0]``) and as each scheduled action stores it. Every count is a
GROUP BY over the ``masa_action_rule_step`` index (rule, status, path) or a rule's firings; none
reads the rows of a customer.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q

from ..models import Rule, RuleFiring, ScheduledAction
from ..money import Amounts
from .results import OPENED, conversions, feedback_counts, sent_messages

_SPECIFICS = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}( [A-Z]+)?)?|#\S+|\d+")


def reason_kind(reason: str) -> str:
    """A skip reason without its dates and numbers, so that the same reason counts together:
    "the customer ordered again on 2026-12-01" → "the customer ordered again on …"."""
    return _SPECIFICS.sub("…", reason or "").strip() or "no reason given"


@dataclass
class StepCounts:
    waiting: int = 0          # pending now: due later (or due and about to go)
    done: int = 0
    held_out: int = 0         # marketing sends recorded instead of sent (in ``done`` too)
    failed: int = 0
    skipped: dict = field(default_factory=dict)   # reason kind → count
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: Amounts = field(default_factory=Amounts)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def reached(self) -> int:
        """Went past the checks to the action (done or failed)."""
        return self.done + self.failed


@dataclass
class JourneyCounts:
    steps: dict = field(default_factory=lambda: defaultdict(StepCounts))   # (rule_id, path) → StepCounts
    started: dict = field(default_factory=dict)                             # rule_id → firings

    def at(self, rule_id: str, path: str) -> StepCounts:
        return self.steps.get((rule_id, path)) or StepCounts()


def per_step(actions):
    """(rule pk, path, count) of these actions: COUNT(*) so that the index (rule, status, path)
    answers it alone (an index-only scan, no row read)."""
    return actions.values_list("rule_id", "path").order_by().annotate(n=Count("*"))


def journey_counts(rule_ids: list[str], since: datetime, until: datetime,
                   window: timedelta = timedelta(days=7)) -> JourneyCounts:
    counts = JourneyCounts()
    names = dict(Rule.objects.filter(rule_id__in=rule_ids).values_list("pk", "rule_id"))
    actions = ScheduledAction.objects.filter(rule_id__in=list(names))
    for rule_pk, path, n in per_step(actions.filter(status=ScheduledAction.Status.PENDING)):
        counts.steps[(names[rule_pk], path)].waiting = n
    ended = actions.filter(completed_at__gte=since, completed_at__lt=until).filter(
        Q(status=ScheduledAction.Status.DONE) | Q(status=ScheduledAction.Status.FAILED)
        | Q(status=ScheduledAction.Status.CANCELLED))
    for rule_pk, path, status, reason, held_out, n in (
            ended.values_list("rule_id", "path", "status", "cancel_reason", "held_out").order_by()
            .annotate(n=Count("pk"))):
        step = counts.steps[(names[rule_pk], path)]
        step.held_out += n if held_out else 0
        if status == ScheduledAction.Status.CANCELLED:
            kind = reason_kind(reason)
            step.skipped[kind] = step.skipped.get(kind, 0) + n
        elif status == ScheduledAction.Status.DONE:
            step.done += n
        else:
            step.failed += n
    counts.started = {names[pk]: n for pk, n in RuleFiring.objects.filter(
        rule_id__in=list(names), fired_at__gte=since, fired_at__lt=until).values_list("rule_id").order_by()
        .annotate(n=Count("pk"))}
    sent = sent_messages(since, until, rule_ids)
    for message in sent:
        counts.steps[message.step].sent += 1
    step_of = lambda message: message.step  # noqa: E731
    for metric, name in (("opened", OPENED), ("clicked", "message_clicked")):
        for step, n in feedback_counts(name, sent, by=step_of).items():
            setattr(counts.steps[step], metric, n)
    converted, revenue = conversions(sent, window, by=step_of)
    for step, n in converted.items():
        counts.steps[step].converted, counts.steps[step].revenue = n, revenue[step]
    return counts
