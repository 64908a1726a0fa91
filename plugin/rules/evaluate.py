"""Evaluate one stored event: update the customer's facts, run the rules, record intents.

Everything an evaluation writes (facts, firings, scheduled actions, cancellations, the event's
status) is written in one transaction. The event row is locked and its status checked first, so
evaluating the same event twice changes nothing; a rule fires at most once per scope (event,
order, product or customer: its ``once``) by a unique constraint, and actions carry unique
idempotency keys. Effects (set / increment / tag) are applied inside the evaluation and asserted
back into the engine as ``change`` facts: that is how one rule's outcome fires further rules.
"""
from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import dataclass
from functools import cached_property

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from .. import consent, metrics
from ..models import Customer, Rule, RuleFiring, RulePack, ScheduledAction, StoreEvent
from ..actions import abandonment, awaiting, guards, opt_in, reversal, schedule
from ..events import PURCHASES, REVERSALS, RULE_EFFECT
from ..plans import CompiledRule
from . import facts, store, takeback
from .batch import Batch, PendingAction
from .compiler import RuleDefinitionError
from .engine import MAX_FACT_PROPERTIES, ChainLimitError, EngineError, Firing, RuleSet, compile_ruleset, referenced_properties
from .segments import compile_definition

log = logging.getLogger(__name__)

PURCHASE_EVENTS = PURCHASES
MANUAL_TRIGGER = "manual_trigger"


@dataclass
class ActiveRules:
    rules: dict[str, Rule]
    compiled: dict[str, CompiledRule]
    ruleset: RuleSet
    windows: frozenset
    properties: frozenset = frozenset()

    @property
    def by_pk(self) -> dict[int, Rule]:
        return {rule.pk: rule for rule in self.rules.values()}

    @cached_property
    def rule_facts(self) -> frozenset:
        """The facts the enabled rules write (``set``, ``increment``, ``stamp``, ``pause_marketing``,
        at once or later): Masa's own, which a customer's public Saleor metadata may not set."""
        return frozenset(name for compiled in self.compiled.values()
                         for name in _written_facts([compiled.effects, [p.params for p in compiled.plan]]))


    def once_scopes(self, events: list[StoreEvent], customers: dict[int, Customer]) -> dict[int, set[str]]:
        """For each rule that fires once per customer, order or product: the scopes these events could
        fire it in (what ``Batch.prepare`` asks the database about)."""
        scopes: dict[int, set[str]] = {}
        for rule_id, compiled in self.compiled.items():
            if compiled.once not in ("customer", "order", "product"):
                continue
            rule = self.rules[rule_id]
            keys = {scope_key(compiled.once, rule, event, {}, customers[event.customer_id])
                    for event in events if event.customer_id in customers}
            scopes[rule.pk] = {key for key in keys if key.startswith("customer:")}
        return scopes


_cache_lock = threading.Lock()
_compiled_cache: dict[tuple, CompiledRule] = {}
_active: tuple[tuple, ActiveRules] | None = None


def _written_facts(value) -> set[str]:
    """Fact names of every effect (``{"op": set|increment|stamp|pause, "fact": …}``) in ``value``."""
    found, stack = set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("op") in ("set", "increment", "stamp", "pause") and isinstance(item.get("fact"), str):
                found.add(item["fact"])
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def compile_stored_rule(rule: Rule, pack: tuple[dict, dict]) -> CompiledRule:
    parameters, segments = pack
    return compile_definition(rule.rule_id, rule.definition, parameters, segments)


def active_rules() -> ActiveRules:
    """The enabled rules, compiled; a rule whose definition does not compile is skipped and logged.

    One read fingerprints the enabled rules and the packs' parameters (``store.rules_fingerprint``);
    the compiled set is rebuilt only when that fingerprint changes (a rule saved, toggled, added,
    removed, re-parametrized).
    """
    global _active
    fingerprint = store.rules_fingerprint()
    with _cache_lock:
        if _active is not None and _active[0] == fingerprint:
            return _active[1]
    active = _build_active_rules()
    with _cache_lock:
        _active = (fingerprint, active)
    return active


def _build_active_rules() -> ActiveRules:
    packs = {pack.pack_id: (pack.resolved_parameters(), pack.segments) for pack in RulePack.objects.all()}
    rules, compiled = {}, {}
    for rule in Rule.objects.filter(enabled=True, live=True):
        pack_settings = packs.get(rule.pack, ({}, {}))
        key = (rule.pk, rule.version, rule.updated_at, json.dumps(pack_settings, sort_keys=True, default=str))
        with _cache_lock:
            result = _compiled_cache.get(key)
        if result is None:
            try:
                result = compile_stored_rule(rule, pack_settings)
            except RuleDefinitionError as error:
                log.error("Skipping rule that does not compile: %s", error)
                continue
            with _cache_lock:
                _compiled_cache[key] = result
        rules[rule.rule_id] = rule
        compiled[rule.rule_id] = result
    ruleset = compile_ruleset({rule_id: c.condition for rule_id, c in sorted(compiled.items())})
    windows = frozenset().union(*(c.windows for c in compiled.values())) if compiled else frozenset()
    properties = referenced_properties(c.condition for c in compiled.values())
    if len(properties) > MAX_FACT_PROPERTIES:
        raise EngineError(f"the enabled rules read {len(properties)} different facts of customers and events; "
                          f"the rules engine matches at most {MAX_FACT_PROPERTIES}: turn some rules off")
    return ActiveRules(rules=rules, compiled=compiled, ruleset=ruleset, windows=windows, properties=properties)


def scope_key(once: str, rule: Rule, event: StoreEvent, trigger: dict, customer: Customer) -> str:
    if once == "customer":
        return f"customer:{customer.pk}"
    if once == "order" and event.data.get("order_id"):
        return f"customer:{customer.pk}:order:{event.data['order_id']}"
    if once == "product" and event.data.get("product_id"):
        return f"customer:{customer.pk}:product:{event.data['product_id']}"
    return f"v{rule.version}:event:{event.pk}:{trigger.get('id')}"


class _Evaluation:
    """One event's run: fires rules, applies effects, schedules actions."""

    def __init__(self, event: StoreEvent, customer: Customer, active: ActiveRules, batch: Batch):
        self.event, self.customer, self.active, self.batch = event, customer, active, batch
        self.planned: list[ScheduledAction] = []
        self.seen: set[tuple[str, str]] = set()
        self.values_seen: dict[tuple, str] = {}
        self.changes = itertools.count()
        self.customer_changed = False
        self.standing: set[str] | None = None  # facts a standing order set (``takeback.standing_facts``), when asked
        self.only: set[str] | None = None  # a second chance (``_second_chance``): only these rules, and chains

    def customer_fact(self) -> dict:
        return facts.customer_fact(self.customer, self.event.occurred_at, self.active.windows, self.active.properties)

    def on_fire(self, firing: Firing):
        rule = self.active.rules[firing.rule_id]
        compiled = self.active.compiled[firing.rule_id]
        trigger = firing.matched["e"]
        if self.only is not None and trigger.get("kind") != "change" and rule.rule_id not in self.only:
            return None
        if (rule.rule_id, trigger.get("id")) in self.seen:
            return None
        self.seen.add((rule.rule_id, trigger.get("id")))
        self._refuse_cycle(rule.rule_id, trigger)
        scope = scope_key(compiled.once, rule, self.event, trigger, self.customer)
        if self.batch.fired(rule, scope):
            return None  # fired in this scope already (once: order, product, customer)
        rule_firing = self.batch.fire(rule, self.event, self.customer, scope, timezone.now())
        # A once scope (customer, order, product) may be freed by a cancelled order and fired in
        # again: each firing's actions are keyed by its event too (``takeback``).
        prefix = f"{rule.rule_id}:{scope}:event:{self.event.pk}" if scope.startswith("customer:") else \
            f"{rule.rule_id}:{scope}"
        self.planned += schedule.plan_rows(compiled.plan, rule=rule, firing=rule_firing, customer=self.customer,
                                           event=self.event, key_prefix=prefix)
        return self.apply_effects(compiled.effects, rule_firing, rule)

    def _refuse_cycle(self, rule_id: str, trigger: dict) -> None:
        """A rule fired again by the same fact reaching the same value in one evaluation: the
        rules set that value back and forth (a cycle), whatever the number of firings so far."""
        if trigger.get("kind") != "change":
            return
        key = (rule_id, trigger.get("fact"), json.dumps(trigger.get("new"), sort_keys=True, default=str))
        if key in self.values_seen:
            raise ChainLimitError(f"the rules form a cycle: {rule_id!r} fired twice on {trigger.get('fact')} = "
                                  f"{str(trigger.get('new'))[:40]} for one event")
        self.values_seen[key] = rule_id

    def apply_effects(self, effects: list[dict], rule_firing: RuleFiring | None = None, rule: Rule | None = None,
                      firing_id: int | None = None) -> list[dict]:
        new_facts = []
        for effect in effects:
            change = facts.apply_effect(self.customer, effect, self.event.occurred_at)
            if change is not None:
                change["id"] = f"change:{self.event.pk}:{next(self.changes)}"
                new_facts.append(change)
            # Every assertion of a fact an order set is recorded, changed or not (``takeback.record``).
            recorded = takeback.record(effect, change, self.event, self.customer, rule, rule_firing, firing_id,
                                       self.standing_facts)
            if recorded is not None:
                self.batch.changes.append(recorded)
                if recorded.order_id and self.standing is not None:
                    self.standing.add(recorded.fact)
        if not new_facts:
            return []
        self.customer_changed = True
        if rule_firing is not None:
            rule_firing.facts_set.update({c["fact"]: c["new"] for c in new_facts})
        return [*new_facts, self.customer_fact()]

    def standing_facts(self) -> set[str]:
        if self.standing is None:
            self.standing = takeback.standing_facts(self.customer, self.batch.changes)
        return self.standing

    def initial_facts(self, profile_changes: list[dict]) -> list[dict]:
        initial = [self.customer_fact(), facts.event_fact(self.event, self.active.properties)]
        for change in profile_changes:
            initial.append({**change, "id": f"change:{self.event.pk}:{next(self.changes)}"})
        if self.event.name == RULE_EFFECT:
            firing = self.event.data.get("firing")
            initial += self.apply_effects([self.event.data["effect"]], rule=self.active.rules.get(self.event.data.get("rule")),
                                          firing_id=firing if isinstance(firing, int) else None)
        if self.event.name == MANUAL_TRIGGER:
            initial += self.fire_by_hand(self.event.data.get("rule", ""))
        return initial

    def fire_by_hand(self, rule_id: str) -> list[dict]:
        """Staff started this rule for the customer: its steps run whatever its trigger and conditions."""
        if rule_id not in self.active.rules:
            raise EngineError(f"rule {rule_id!r} is not live and enabled")
        return self.on_fire(Firing(rule_id, {"e": {"id": f"manual:{self.event.pk}"}})) or []


def _second_chance(event: StoreEvent, customer: Customer, active: ActiveRules, batch: Batch,
                   freed: list[RuleFiring]) -> bool:
    """A ``once`` rule whose scope the taken-back order had used was kept from firing on the
    customer's standing orders: it gets that chance now, on the latest such event
    (``takeback.missed_chances``), evaluated as that event was — only that rule, and the rules its
    changes trigger; its actions belong to that event (due as they would have been). Returns
    whether the customer changed."""
    chances = takeback.missed_chances(event, customer, [firing for firing in freed
                                                        if firing.rule.rule_id in active.rules])
    if not chances:
        return False
    batch.know_fired(active.once_scopes([standing for standing, _ in chances], {customer.pk: customer}))
    changed = False
    for standing, rule_ids in chances:
        evaluation = _Evaluation(standing, customer, active, batch)
        evaluation.only = rule_ids
        active.ruleset.run(evaluation.initial_facts([]), on_fire=evaluation.on_fire)
        batch.plan(evaluation.planned)
        changed = changed or evaluation.customer_changed
    return changed


def _settle_pending(event: StoreEvent, customer: Customer, now, batch: Batch) -> None:
    """Cancel pending actions whose guard this event may void and now fails (a purchase of the
    category a refill reminder waits on, an order for a win-back, a sent message for a
    keep-in-touch), and resolve awaits this event answers; judged from the customer's list of
    pending actions (``Batch.pending``), which the delivery read once."""
    for item in [item for item in batch.pending(customer)
                 if item.guard and item.event.pk != event.pk and guards.voided_by(item.guard, event)]:
        reason = guards.failed_guard(item, marketing=False)  # consent is the send's, checked when due
        if reason:
            batch.cancel(item, reason, event, now)
    if any(_awaits(item, event) for item in batch.pending(customer)):
        with batch.in_database(customer):  # the awaits planned earlier in the delivery have their ids now
            awaiting.resolve(event, customer, [item.pk for item in batch.pending(customer) if _awaits(item, event)])


def _awaits(item: PendingAction, event: StoreEvent) -> bool:
    return item.kind == awaiting.KIND and item.awaited == event.name and item.event.pk != event.pk


def evaluate_event(event_id: int) -> str:
    """Evaluate a stored event once; returns its resulting status."""
    return evaluate_events([event_id])[0]


def evaluate_events(event_ids: list[int]) -> list[str]:
    """Evaluate stored events in order, each once; returns their resulting statuses.

    The events of one delivery share one transaction: their rows and their customers are locked
    once (in primary-key order), the rule set is fetched once, the customers' pending actions and
    fired scopes are listed once, and what they write is written together at the end
    (``rules.batch``): all firings in one INSERT, all planned actions in one, the customers and the
    events' statuses once. If anything fails, the whole
    delivery is evaluated again one event at a time, each in its own savepoint, so an event whose
    evaluation fails (an engine error, or any crash on odd data) is rolled back alone and marked
    failed with the error. A lost database connection is raised for the task to be retried.
    Timed and counted (``masa_evaluation_seconds``, ``masa_events_evaluated_total``).
    """
    with metrics.timed_evaluation() as counted:
        try:
            statuses = _evaluate(event_ids, one_at_a_time=False)
        except (OperationalError, InterfaceError):
            raise
        except Exception:  # noqa: BLE001 — find the event that fails, alone
            log.info("Events %s failed evaluated together; evaluating them one at a time", event_ids)
            statuses = _evaluate(event_ids, one_at_a_time=True)
        counted.extend(statuses)
    return statuses


def _evaluate(event_ids: list[int], one_at_a_time: bool) -> list[str]:
    statuses: dict[int, str] = {}
    with transaction.atomic():
        store.commit_without_waiting_for_the_disk()
        events = store.lock_events(set(event_ids))
        waiting = [event for event in events if event.status == StoreEvent.Status.RECEIVED]
        statuses.update({event.pk: event.status for event in events if event.status != StoreEvent.Status.RECEIVED})
        customers = store.lock_customers({event.customer_id for event in waiting} - {None})
        active = None
        try:
            active = active_rules() if waiting else None
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:  # noqa: BLE001 — the rule set cannot run: fail these events, visibly
            log.exception("The enabled rules cannot be loaded")
            _fail_all(waiting, error if isinstance(error, EngineError) else EngineError(
                f"the enabled rules cannot be loaded: {type(error).__name__}: {error}"), statuses)
            waiting = []
        batch = _prepared(active, waiting, customers)
        for position, event in enumerate(waiting):
            if not one_at_a_time:
                statuses[event.pk] = _evaluate_locked(event, active, customers, batch)
                continue
            try:
                with transaction.atomic():
                    statuses[event.pk] = _evaluate_locked(event, active, customers, batch)
                    batch.flush()
            except (OperationalError, InterfaceError):
                raise
            except Exception as error:  # noqa: BLE001 — any crash fails this event alone, recorded
                if not isinstance(error, EngineError):
                    log.exception("Evaluation of event %s crashed", event.pk)
                    error = EngineError(f"{type(error).__name__}: {error}")
                customers.update(store.lock_customers({event.customer_id} - {None}))
                batch = _prepared(active, waiting[position + 1:], customers)
                store.mark_evaluated({event.pk: (StoreEvent.Status.FAILED, str(error))}, timezone.now())
                log.error("Evaluation of event %s failed: %s", event.pk, error)
                statuses[event.pk] = StoreEvent.Status.FAILED
        if batch is not None:
            batch.flush()
    return [statuses.get(event_id, "missing") for event_id in event_ids]


def _prepared(active: ActiveRules | None, events: list[StoreEvent], customers: dict[int, Customer]) -> Batch | None:
    """A fresh evaluation state for these events, their customers' pending actions and fired scopes listed."""
    if active is None:
        return None
    batch = Batch(rules=active.by_pk)
    mine = {event.customer_id for event in events}
    batch.prepare({pk: c for pk, c in customers.items() if pk in mine}, active.once_scopes(events, customers))
    return batch


def _fail_all(events: list[StoreEvent], error: Exception, statuses: dict[int, str]) -> None:
    StoreEvent.objects.filter(pk__in=[event.pk for event in events]).update(
        status=StoreEvent.Status.FAILED, error=str(error)[:2000], processed_at=timezone.now())
    statuses.update({event.pk: StoreEvent.Status.FAILED for event in events})


def _evaluate_locked(event: StoreEvent, active: ActiveRules, customers: dict[int, Customer], batch: Batch) -> str:
    now = timezone.now()
    if event.customer_id is None:
        batch.outcomes[event.pk] = (StoreEvent.Status.IGNORED, "the event names no customer")
        return StoreEvent.Status.IGNORED
    customer = customers[event.customer_id]
    facts_before = dict(customer.facts or {})
    unchanged_profile = event.name == "customer_updated" and facts.same_profile_as_before(customer, event)
    asked = facts.consent_request(event, customer)
    changed = facts.apply_event(customer, event, protected=active.rule_facts)
    freed = []
    if takeback.reverses(event):
        with batch.in_database(customer):  # the order's changes and firings written so far are in the database
            undone, freed = takeback.take_back(event, customer, now)
        batch.unfire([(firing.rule_id, takeback.freed_scope(firing)) for firing in freed])
        changed += ["facts", "tags"] if undone else []
    if unchanged_profile and not changed:
        # Masa's own writes to Saleor metadata (``masa.*``) come back as customer updates; so does a
        # second emission of one change. Nothing a rule can see changed: no fact, no firing.
        batch.outcomes[event.pk] = (StoreEvent.Status.IGNORED, "nothing about the customer changed")
        return StoreEvent.Status.IGNORED
    if asked:
        batch.plan([opt_in.confirmation(event, customer, now, *asked)])
    for kind in facts.form_says_no(event):
        consent.withdraw_everywhere(customer, f"form {event.data.get('form', '')}".strip(), event.occurred_at, kind)
    evaluation = _Evaluation(event, customer, active, batch)
    initial = evaluation.initial_facts(facts.profile_changes(facts_before, customer))
    active.ruleset.run(initial, on_fire=evaluation.on_fire)
    batch.plan(evaluation.planned)
    missed = bool(freed) and _second_chance(event, customer, active, batch, freed)
    if evaluation.customer_changed or missed:
        changed += ["facts", "tags"]
    batch.customer_changed(customer, changed)
    if abandonment.concerns(event, {item.kind for item in batch.pending(customer)}):
        with batch.in_database(customer):
            abandonment.on_event(event, customer, now)
    if event.name in REVERSALS and (event.name == "order_cancelled" or event.data.get("fully_refunded")):
        with batch.in_database(customer):
            reversal.on_order_reversed(event, customer, now)
    _settle_pending(event, customer, now, batch)
    batch.outcomes[event.pk] = (StoreEvent.Status.PROCESSED, "")
    return StoreEvent.Status.PROCESSED
