"""Runs a pack's scenarios.yaml: given events at relative times → expected messages and facts.

The clock starts at ``START`` and moves to each next due action in turn (so a message's send
time is its due time), processing each given event when its time comes. Events enter through
Masa's public Django signals, exactly as an in-process store sends them.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from django.test import TestCase
from django.utils.dateparse import parse_datetime

from masa import signals
from masa.models import Channel, Customer, Delivery, ScheduledAction
from masa.durations import parse_duration
from masa.actions.due import sweep

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
_orders = itertools.count(1)


def offset(text) -> timedelta:
    return parse_duration(text) if str(text) not in ("0", "0d") else timedelta()


def _send_event(event: dict, customer: dict, at: datetime) -> None:
    identity = {"customer_id": customer["id"], "email": customer["email"],
                "first_name": customer.get("first_name", ""), "occurred_at": at}
    with TestCase.captureOnCommitCallbacks(execute=True):
        if "order" in event:
            number = next(_orders)
            lines = [{"product_id": line.get("product", line["category"]), "product_name": line.get("name", line["category"]),
                      "quantity": line.get("quantity", 1), "total": line.get("price", 10.0), "category": line["category"]}
                     for line in event["order"]]
            signals.order_placed.send(sender=None, order_id=f"scenario-{number}", number=str(number), lines=lines,
                                      currency="EUR", **identity)
        elif "checkout" in event:
            lines = [{"product_id": line.get("product", line["category"]), "quantity": line.get("quantity", 1),
                      "total": line.get("price", 10.0), "category": line["category"]} for line in event["checkout"]]
            signals.checkout_updated.send(sender=None, checkout_id=event.get("checkout_id", "scenario-checkout"),
                                          lines=lines, **identity)
        elif "customer" in event:
            signals.customer_updated.send(sender=None, metadata=event["customer"].get("metadata", {}), **identity)
        elif "form" in event:
            answers = {k: v for k, v in event.items() if k not in ("at", "form")}
            signals.form_submitted.send(sender=None, form=event["form"], submission_id=f"{event['form']}@{at.isoformat()}",
                                        answers=answers, **identity)
        elif "store_event" in event:
            signals.store_event.send(sender=None, name=event["store_event"], event_id=f"{event['store_event']}@{at.isoformat()}",
                                     data=event.get("data", {}), **identity)
        elif set(event) & set(MESSAGE_ACTIONS):
            _message_action(event, at)
        else:
            raise ValueError(f"unknown scenario event {event}")


# What a recipient does with the latest message of a template: the event it records, and its data.
MESSAGE_ACTIONS = {
    "open": ("message_opened", lambda e: {}),
    "click": ("message_clicked", lambda e: {"url": e.get("url", "https://shop.example/")}),
    "answer": ("survey_answered", lambda e: {"answer": e["choice"]}),
    "join_list": ("list_joined", lambda e: {"list": e["list"]}),
}


def _message_action(event: dict, at: datetime) -> None:
    from masa.eventstore import record_message_event as record

    (action, template), = ((k, v) for k, v in event.items() if k in MESSAGE_ACTIONS)
    name, data = MESSAGE_ACTIONS[action]
    delivery = Delivery.objects.filter(template_key=template, status="sent").order_by("-sent_at").first()
    if delivery is None:
        raise AssertionError(f"the scenario {action}s {template!r}, but no such message was sent")
    record(delivery, name, f"{name}:{delivery.idempotency_key}:{at.isoformat()}", at=at, **data(event))


def _next_due() -> datetime | None:
    action = ScheduledAction.objects.filter(status="pending").order_by("due_at").first()
    return action.due_at if action else None


def _run_clock_until(moment: datetime) -> None:
    for _ in range(10_000):
        due = _next_due()
        if due is None or due > moment:
            return
        with TestCase.captureOnCommitCallbacks(execute=True):
            sweep(now=max(due, START))
    raise AssertionError("the scenario never settles: actions keep falling due")


def run_scenario(scenario: dict) -> dict:
    """Play the scenario; return what happened, in the shape of its ``expect``."""
    Channel.objects.get_or_create(name="Shop email", defaults={"kind": Channel.Kind.EMAIL})
    Channel.objects.get_or_create(name="Shop SMS", defaults={
        "kind": Channel.Kind.SMS, "config": {"provider": "http", "url": "https://sms.example/send"}})
    customer = {"id": "scenario-customer", "email": "ruth@example.com", "first_name": "Ruth",
                "phone": "+972500000001", **scenario.get("customer", {})}
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.customer_created.send(sender=None, customer_id=customer["id"], email=customer["email"],
                                      first_name=customer["first_name"], phone=customer["phone"], occurred_at=START,
                                      metadata=customer.get("metadata", {}),
                                      marketing_consent=customer.get("marketing_consent", True))
    for event in sorted(scenario.get("events", []), key=lambda e: offset(e["at"])):
        at = START + offset(event["at"])
        _run_clock_until(at)
        _send_event(event, customer, at)
    _run_clock_until(START + offset(scenario.get("until", "400d")))
    row = Customer.objects.get(store_id=customer["id"])
    return {
        "sent": [
            {"template": d.template_key, "at": d.sent_at, "body": d.body, "to": d.to}
            for d in Delivery.objects.filter(customer=row, status="sent").order_by("sent_at", "pk")
        ],
        "cancelled": [
            {"rule": a.rule.rule_id if a.rule else a.kind, "reason": a.cancel_reason}
            for a in ScheduledAction.objects.filter(customer=row, status="cancelled").order_by("due_at", "pk")
        ],
        "facts": row.facts,
        "tags": row.tags,
        "category_counts": row.category_counts,
    }


def check_expectations(expect: dict, outcome: dict) -> list[str]:
    problems = []
    if "sent" in expect:
        got = [(s["template"], s["at"]) for s in outcome["sent"]]
        if len(got) != len(expect["sent"]):
            problems.append(f"sent {len(got)} messages, expected {len(expect['sent'])}: {_describe(got)}")
        for wanted, (template, at) in zip(expect["sent"], got):
            if wanted["template"] != template:
                problems.append(f"expected {wanted['template']!r}, sent {template!r} at {at - START}")
            elif not _at_matches(wanted["at"], at):
                problems.append(f"{template!r} sent at {at - START}, expected {wanted['at']}")
        for wanted, sent in zip(expect["sent"], outcome["sent"]):
            if wanted.get("contains", "") not in sent["body"]:
                problems.append(f"{sent['template']!r} does not say {wanted['contains']!r}: {sent['body']!r}")
            if wanted.get("excludes") and wanted["excludes"] in sent["body"]:
                problems.append(f"{sent['template']!r} should not say {wanted['excludes']!r}: {sent['body']!r}")
            if wanted.get("to") and wanted["to"] != sent["to"]:
                problems.append(f"{sent['template']!r} went to {sent['to']!r}, expected {wanted['to']!r}")
    for wanted in expect.get("cancelled", []):
        if not any(c["rule"] == wanted["rule"] and wanted.get("reason", "") in c["reason"] for c in outcome["cancelled"]):
            problems.append(f"no cancelled {wanted['rule']!r} with reason {wanted.get('reason')!r}: {outcome['cancelled']}")
    for name, value in expect.get("facts", {}).items():
        if outcome["facts"].get(name) != value:
            problems.append(f"fact {name!r} is {outcome['facts'].get(name)!r}, expected {value!r}")
    for tag in expect.get("tags", []):
        if tag not in outcome["tags"]:
            problems.append(f"tag {tag!r} missing: {outcome['tags']}")
    for category, count in expect.get("category_counts", {}).items():
        if outcome["category_counts"].get(category) != count:
            problems.append(f"category {category!r} count is {outcome['category_counts'].get(category)}, expected {count}")
    return problems


def _at_matches(wanted, at: datetime) -> bool:
    if isinstance(wanted, list):
        low, high = (START + offset(w) for w in wanted)
        return low <= at <= high
    if isinstance(wanted, str) and "T" in wanted:
        return parse_datetime(wanted) == at
    return START + offset(wanted) == at


def _describe(got) -> str:
    return ", ".join(f"{template}@{at - START}" for template, at in got)
