"""One customer's story, newest first: events, rule firings, scheduled and skipped actions,
messages with their content and what became of them, and staff notes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .. import events
from ..models import Customer, CustomerNote, Delivery, RuleFiring, ScheduledAction, StoreEvent

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


def _event_title(event: StoreEvent) -> str:
    if event.name == events.RULE_EFFECT:
        return f"Rule {event.data.get('rule')}: {_effect_title(event.data.get('effect', {}))}"
    return events.words(event.name, event.data)


def _effect_title(effect: dict) -> str:
    fact, value = effect.get("fact"), effect.get("value")
    if effect.get("op") == "increment" and isinstance(value, (int, float)):
        return f"{fact} {value:+g}"
    if effect.get("op") in ("tag", "untag"):
        return f"{effect['op']} {value}"
    return f"{fact} → {value}"


def _event_detail(event: StoreEvent) -> str:
    data = event.data
    if "total" in data:
        return f"{data['total']} {data.get('currency', '')}".strip()
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


def _action_entry(action: ScheduledAction) -> Entry:
    rule = action.rule.rule_id if action.rule else "masa"
    what = action.params.get("template") or action.params.get("event") or action.kind
    if action.status == ScheduledAction.Status.PENDING:
        detail = " — ".join(filter(None, [f"due {action.due_at:%Y-%m-%d %H:%M}", action.outcome, action.last_error]))
        return Entry(action.due_at, "scheduled", f"{action.kind} {what} ({rule})", detail, "pending", action)
    if action.status == ScheduledAction.Status.CANCELLED:
        return Entry(action.completed_at or action.due_at, "skipped", f"{action.kind} {what} ({rule}) skipped",
                     action.cancel_reason, "cancelled", action)
    if action.status == ScheduledAction.Status.FAILED:
        return Entry(action.completed_at or action.due_at, "failed", f"{action.kind} {what} ({rule}) failed",
                     action.last_error, "failed", action)
    return Entry(action.completed_at or action.due_at, "action", f"{action.kind} {what} ({rule}) done",
                 action.outcome, action.status, action)


def timeline(customer: Customer, limit: int = 300) -> list[Entry]:
    entries: list[Entry] = []
    for event in customer.events.order_by("-occurred_at")[:limit]:
        entries.append(Entry(event.occurred_at, "event", _event_title(event), _event_detail(event), event.status, event))
    firings = RuleFiring.objects.filter(customer=customer).select_related("rule", "event").order_by("-fired_at")
    for firing in firings[:limit]:
        facts = ", ".join(f"{name} → {value}" for name, value in firing.facts_set.items())
        cause = f"on {_event_title(firing.event).lower()}"
        entries.append(Entry(firing.fired_at, "firing", f"Rule fired: {firing.rule}",
                             f"{cause}; sets {facts}" if facts else cause, f"v{firing.rule_version}", firing))
    actions = (ScheduledAction.objects.filter(customer=customer).select_related("rule")
               .exclude(kind="send", status=ScheduledAction.Status.DONE).order_by("-due_at")[:limit])
    entries += [_action_entry(action) for action in actions]
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
