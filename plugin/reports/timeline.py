"""One customer's story, newest first: events, rule firings, scheduled and skipped actions,
messages with their content and what became of them, and staff notes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import events
from ..models import Customer, CustomerNote, Delivery, Rule, RuleFiring, ScheduledAction, StoreEvent
from ..money import format_money
from ..timezones import customer_zone

FEEDBACK_EVENTS = events.FEEDBACK_BADGES


@dataclass
class Entry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    status: str = ""
    obj: object = None
    badges: list[str] = field(default_factory=list)


MESSAGE_WORDS = {"message_sent": gettext_lazy("Sent “{subject}”"), "message_opened": gettext_lazy("Opened “{subject}”"),
                 "message_clicked": gettext_lazy("Clicked in “{subject}”"),
                 "message_bounced": gettext_lazy("“{subject}” bounced"),
                 "unsubscribed": gettext_lazy("Unsubscribed from “{subject}”"),
                 "survey_answered": gettext_lazy("Answered the survey in “{subject}”"),
                 "list_joined": gettext_lazy("Joined a list from “{subject}”")}


def _event_title(event: StoreEvent, subjects: dict | None = None, rules: dict | None = None) -> str:
    """What happened in words: "Opened “Thank you for your order”", "tier → weak (Loyalty lapse)"."""
    data = event.data or {}
    if event.name == events.RULE_EFFECT:
        rule = (rules or {}).get(data.get("rule")) or data.get("rule")
        return f"{_effect_title(data.get('effect', {}))} ({rule})"
    subject = (subjects or {}).get(data.get("delivery", ""))
    if event.name in MESSAGE_WORDS and subject:
        return str(MESSAGE_WORDS[event.name]).format(subject=subject)
    return events.words(event.name, data)


def _effect_title(effect: dict) -> str:
    fact, value = _fact_words(str(effect.get("fact") or "")), effect.get("value")
    if effect.get("op") == "increment" and isinstance(value, (int, float)):
        return f"{fact} {value:+g}"
    if effect.get("op") in ("tag", "untag"):
        return f"{effect['op']} {value}"
    return f"{fact} → {value}"


def _fact_words(name: str) -> str:
    return f"tag {name[4:]}" if name.startswith("tag:") else name.replace("_", " ")


def _event_detail(event: StoreEvent) -> str:
    data = event.data
    if "total" in data:
        return format_money(data["total"], data.get("currency", ""))
    if event.name in FEEDBACK_EVENTS:
        return " · ".join(str(data[key]) for key in ("rule", "template", "url") if data.get(key))
    return event.error


def feedback_by_delivery(customer: Customer) -> dict[str, list[str]]:
    """Delivery idempotency key → statuses reported for it (opened, clicked, bounced, unsubscribed)."""
    statuses: dict[str, list[str]] = {}
    for name, data in customer.events.filter(name__in=FEEDBACK_EVENTS).values_list("name", "data"):
        label = FEEDBACK_EVENTS[name]
        found = statuses.setdefault(data.get("delivery", ""), [])
        if label not in found:
            found.append(label)
    return statuses


def when(at: datetime, customer: Customer) -> str:
    """A time in the customer's zone and, when it differs, the admin's: "26 Dec, 21:19 their time (19:19 yours)"."""
    theirs = at.astimezone(customer_zone(customer))
    yours = timezone.localtime(at)
    text = _("{date} their time").format(date=f"{theirs:%d %b, %H:%M}")
    if theirs.utcoffset() != yours.utcoffset():
        text = _("{text} ({time} yours)").format(text=text, time=f"{yours:%H:%M}")
    return text


def _plainly(action: ScheduledAction) -> str:
    return f"{action.kind} {action.params.get('template') or action.params.get('event') or ''}".strip()


def _action_entry(action: ScheduledAction, describe) -> Entry:
    rule = action.rule.title if action.rule else _("Masa")
    what = describe(action)
    if action.status == ScheduledAction.Status.PENDING:
        detail = " — ".join(filter(None, [action.outcome, action.last_error]))
        title = _("Will {what} on {when} ({rule})").format(what=what, when=when(action.due_at, action.customer), rule=rule)
        return Entry(action.due_at, "scheduled", title, detail, "pending", action)
    if action.status == ScheduledAction.Status.CANCELLED:
        return Entry(action.completed_at or action.due_at, "skipped",
                     _("Skipped: {what} ({rule})").format(what=what, rule=rule), action.cancel_reason, "cancelled", action)
    if action.status == ScheduledAction.Status.FAILED:
        return Entry(action.completed_at or action.due_at, "failed",
                     _("Failed: {what} ({rule})").format(what=what, rule=rule), action.last_error, "failed", action)
    if action.held_out:
        return Entry(action.completed_at or action.due_at, "held-out",
                     _("Held out: would have {what} ({rule})").format(what=what, rule=rule),
                     _("in the holdout that measures what the journey earns; nothing was sent"), "held out", action)
    return Entry(action.completed_at or action.due_at, "action", _("Done: {what} ({rule})").format(what=what, rule=rule),
                 action.outcome, action.status, action)


def timeline(customer: Customer, limit: int = 300, describe=_plainly) -> list[Entry]:
    """``describe`` says what an action does ("email “Running low…”"; the admin passes its rules' words)."""
    entries: list[Entry] = []
    subjects = {key: subject or template for key, subject, template in Delivery.objects.filter(customer=customer)
                .values_list("idempotency_key", "subject", "template_key")}
    rules = dict(Rule.objects.values_list("rule_id", "title"))
    for event in customer.events.order_by("-occurred_at")[:limit]:
        entries.append(Entry(event.occurred_at, "event", _event_title(event, subjects, rules), _event_detail(event),
                             event.status, event))
    firings = RuleFiring.objects.filter(customer=customer).select_related("rule", "event").order_by("-fired_at")
    for firing in firings[:limit]:
        facts = ", ".join(f"{_fact_words(name)} → {value}" for name, value in firing.facts_set.items())
        cause = _("after: {what}").format(what=_event_title(firing.event, subjects, rules))
        entries.append(Entry(firing.fired_at, "firing", f"Rule fired: {firing.rule}",
                             f"{cause}; sets {facts}" if facts else cause, f"v{firing.rule_version}", firing))
    actions = (ScheduledAction.objects.filter(customer=customer).select_related("rule")
               .exclude(kind="send", status=ScheduledAction.Status.DONE, held_out=False).order_by("-due_at")[:limit])
    for action in actions:
        action.customer = customer
        entries.append(_action_entry(action, describe))
    feedback = feedback_by_delivery(customer)
    for delivery in Delivery.objects.filter(customer=customer).select_related("channel").order_by("-created_at")[:limit]:
        channel = delivery.channel.name if delivery.channel else "?"
        entries.append(Entry(delivery.sent_at or delivery.created_at, "message",
                             f"{delivery.subject or delivery.template_key} → {delivery.to} via {channel}",
                             delivery.error, delivery.status, delivery,
                             feedback.get(delivery.idempotency_key, [])))
    for note in CustomerNote.objects.filter(customer=customer).select_related("author")[:limit]:
        entries.append(Entry(note.created_at, "note", f"Note by {note.author or 'staff'}", note.text, "", note))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries
