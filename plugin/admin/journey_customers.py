"""The customers behind a figure of a journey drawing: ``?rule=…&step=steps[2]&state=waiting``
(with the drawing's period, and a skip ``reason``), as a subquery of customer ids."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils.dateparse import parse_date
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Delivery, Rule, RuleFiring, ScheduledAction, StoreEvent
from ..reports.journey import reason_kind
from ..reports.results import OPENED
from ..rules.sentences import Words
from .base import day_range
from .journey_words import reason_words, said

STATES = {
    "started": gettext_lazy("Customers who started the rule"),
    "waiting": gettext_lazy("Customers who are waiting at this step now"),
    "reached": gettext_lazy("Customers who passed the checks"),
    "done": gettext_lazy("Customers who went through this step"),
    "skipped": gettext_lazy("Customers who were skipped here"),
    "failed": gettext_lazy("Customers for whom this step failed"),
    "held_out": gettext_lazy("Customers who were held out of this message (the holdout)"),
    "sent": gettext_lazy("Customers who were sent this message"),
    "opened": gettext_lazy("Customers who opened this message"),
    "clicked": gettext_lazy("Customers who clicked in this message"),
    "converted": gettext_lazy("Customers who ordered within a week of this message"),
}


@dataclass
class StepFilter:
    rule: Rule
    step: str
    state: str
    reason: str
    customers: QuerySet

    @property
    def description(self) -> str:
        """Who these customers are, in the admin's language: "Customers who were skipped here
        (ordered again) — Absorbent products refill", the rule's title isolated."""
        title = format_html("<bdi>{}</bdi>", said(self.rule.title, Words.for_pack(self.rule.pack, html=False)))
        if self.reason:
            return format_html(_("{who} ({reason}) — {rule}"), who=STATES[self.state], reason=reason_words(self.reason),
                               rule=title)
        return format_html(_("{who} — {rule}"), who=STATES[self.state], rule=title)


def _period(query) -> tuple[datetime, datetime] | None:
    since, until = parse_date(query.get("since") or ""), parse_date(query.get("until") or "")
    if not since or not until:
        return None
    return day_range(since, until)


def step_filter(query) -> StepFilter | None:
    state = query.get("state", "")
    rule = Rule.objects.filter(rule_id=query.get("rule", "")).first()
    if rule is None or state not in STATES:
        return None
    step, reason, period = query.get("step", ""), query.get("reason", ""), _period(query)
    if state == "started":
        firings = RuleFiring.objects.filter(rule=rule)
        if period:
            firings = firings.filter(fired_at__gte=period[0], fired_at__lt=period[1])
        return StepFilter(rule, step, state, "", firings.values("customer_id"))
    actions = ScheduledAction.objects.filter(rule=rule, path=step)
    if state == "waiting":
        return StepFilter(rule, step, state, "", actions.filter(status=ScheduledAction.Status.PENDING)
                          .values("customer_id"))
    if state in ("sent", "opened", "clicked", "converted"):
        deliveries = Delivery.objects.filter(action__in=actions, status__in=Delivery.SENT_STATUSES)
        if period:
            deliveries = deliveries.filter(sent_at__gte=period[0], sent_at__lt=period[1])
        if state in ("opened", "clicked"):
            names = OPENED if state == "opened" else ("message_clicked",)  # a WhatsApp read is an open
            reported = (StoreEvent.objects.filter(name__in=names).annotate(key=KT("data__delivery"))
                        .values("key"))
            deliveries = deliveries.filter(idempotency_key__in=reported)
        if state == "converted":
            return StepFilter(rule, step, state, "", _converted(deliveries))
        return StepFilter(rule, step, state, "", deliveries.values("customer_id"))
    if period:
        actions = actions.filter(completed_at__gte=period[0], completed_at__lt=period[1])
    status = {"reached": [ScheduledAction.Status.DONE, ScheduledAction.Status.FAILED],
              "done": [ScheduledAction.Status.DONE], "failed": [ScheduledAction.Status.FAILED],
              "skipped": [ScheduledAction.Status.CANCELLED], "held_out": [ScheduledAction.Status.DONE]}[state]
    actions = actions.filter(status__in=status)
    if state == "held_out":
        actions = actions.filter(held_out=True)
    if state == "skipped" and reason:
        ids = [pk for pk, text in actions.values_list("pk", "cancel_reason") if reason_kind(text) == reason]
        actions = actions.filter(pk__in=ids)
    return StepFilter(rule, step, state, reason, actions.values("customer_id"))


def _converted(deliveries) -> list[int]:
    """Customers with an order within a week of one of these messages (the journey's window)."""
    customers = set()
    sent = list(deliveries.values_list("customer_id", "sent_at"))
    orders = StoreEvent.objects.filter(name="order_placed", customer_id__in={c for c, _ in sent})
    placed = {}
    for customer_id, at in orders.values_list("customer_id", "occurred_at"):
        placed.setdefault(customer_id, []).append(at)
    for customer_id, sent_at in sent:
        if any(sent_at < at <= sent_at + timedelta(days=7) for at in placed.get(customer_id, [])):
            customers.add(customer_id)
    return sorted(customers)
