"""Evaluate one stored event: update the customer's facts, run the rules, record intents.

Everything an evaluation writes (facts, firings, scheduled actions, cancellations, the event's
status) is written in one transaction. The event row is locked and its status checked first, so
evaluating the same event twice changes nothing; actions carry unique idempotency keys of
(rule, rule version, event, step) as a second line of defence.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Customer, Rule, RuleFiring, ScheduledAction, StoreEvent
from . import facts, guards
from .compiler import CompiledRule, RuleDefinitionError, compile_rule
from .engine import EngineError, Firing, RuleSet, compile_ruleset

log = logging.getLogger(__name__)

PURCHASE_EVENTS = {"order_placed", "category_bought"}


@dataclass
class ActiveRules:
    rules: dict[str, Rule]
    compiled: dict[str, CompiledRule]
    ruleset: RuleSet


_cache_lock = threading.Lock()
_compiled_cache: dict[tuple, CompiledRule] = {}


def active_rules() -> ActiveRules:
    """The enabled rules, compiled; a rule whose definition does not compile is skipped and logged."""
    rules, compiled = {}, {}
    for rule in Rule.objects.filter(enabled=True):
        key = (rule.pk, rule.version, rule.updated_at)
        with _cache_lock:
            result = _compiled_cache.get(key)
        if result is None:
            try:
                result = compile_rule(rule.rule_id, rule.definition)
            except RuleDefinitionError as error:
                log.error("Skipping rule that does not compile: %s", error)
                continue
            with _cache_lock:
                _compiled_cache[key] = result
        rules[rule.rule_id] = rule
        compiled[rule.rule_id] = result
    ruleset = compile_ruleset({rule_id: c.condition for rule_id, c in sorted(compiled.items())})
    return ActiveRules(rules=rules, compiled=compiled, ruleset=ruleset)


def idempotency_key(rule: Rule, event: StoreEvent, step: int) -> str:
    return f"{rule.rule_id}:v{rule.version}:e{event.pk}:s{step}"


def _record_firing(active: ActiveRules, firing: Firing, event: StoreEvent, customer: Customer) -> None:
    rule = active.rules[firing.rule_id]
    try:
        with transaction.atomic():
            rule_firing = RuleFiring.objects.create(
                rule=rule, rule_version=rule.version, event=event, customer=customer
            )
    except IntegrityError:
        return
    for planned in active.compiled[firing.rule_id].plan:
        ScheduledAction.objects.get_or_create(
            idempotency_key=idempotency_key(rule, event, planned.step),
            defaults={
                "firing": rule_firing, "rule": rule, "customer": customer, "event": event,
                "step": planned.step, "kind": planned.kind, "params": planned.params,
                "guard": planned.guard, "due_at": event.occurred_at + planned.delay,
            },
        )


def _cancel_voided_actions(customer: Customer, now) -> int:
    """Cancel this customer's pending actions whose guard a new purchase has made fail."""
    cancelled = 0
    pending = (
        ScheduledAction.objects.select_related("rule", "event", "customer")
        .filter(customer=customer, status=ScheduledAction.Status.PENDING)
        .exclude(guard=[])
    )
    for action in pending:
        action.customer = customer
        reason = guards.failed_guard(action)
        if reason:
            ScheduledAction.objects.filter(pk=action.pk, status=ScheduledAction.Status.PENDING).update(
                status=ScheduledAction.Status.CANCELLED, cancel_reason=reason, completed_at=now
            )
            cancelled += 1
    return cancelled


def evaluate_event(event_id: int) -> str:
    """Evaluate a stored event once; returns its resulting status."""
    try:
        with transaction.atomic():
            event = StoreEvent.objects.select_for_update().get(pk=event_id)
            if event.status != StoreEvent.Status.RECEIVED:
                return event.status
            return _evaluate_locked(event)
    except EngineError as error:
        StoreEvent.objects.filter(pk=event_id).update(
            status=StoreEvent.Status.FAILED, error=str(error), processed_at=timezone.now()
        )
        log.error("Evaluation of event %s failed: %s", event_id, error)
        return StoreEvent.Status.FAILED


def _evaluate_locked(event: StoreEvent) -> str:
    now = timezone.now()
    event.attempts += 1
    if event.customer_id is None:
        event.status, event.processed_at = StoreEvent.Status.IGNORED, now
        event.error = "the event names no customer"
        event.save(update_fields=["status", "processed_at", "error", "attempts"])
        return event.status
    customer = Customer.objects.select_for_update().get(pk=event.customer_id)
    changed = facts.apply_event(customer, event)
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    active = active_rules()
    firings = active.ruleset.run([facts.customer_fact(customer), facts.event_fact(event)], on_fire=lambda f: None)
    for firing in firings:
        _record_firing(active, firing, event, customer)
    if event.name in PURCHASE_EVENTS:
        _cancel_voided_actions(customer, now)
    event.status, event.processed_at, event.error = StoreEvent.Status.PROCESSED, now, ""
    event.save(update_fields=["status", "processed_at", "error", "attempts"])
    return event.status
