"""Rule definitions (docs/rule-packs.md) → engine conditions and plans. No HTTP.

A rule compiles to a durable-rules condition over a trigger fact (an ``event``, or a ``change``
of a customer fact) and, when it has conditions, the ``customer`` fact; and to a plan: the
effects applied at once (they are what chains rules) and the actions to schedule, each with the
waits before it and the guards re-checked when it falls due. Triggers and conditions are here;
each step kind compiles itself (``rules.steps``).
"""
from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from .. import consent, events
from ..durations import parse_duration
from ..plans import CompiledRule, PlannedAction
from ..values import is_number, listify
from . import factkeys
from .steps import STEPS, Build, names as step_names

EVENT_NAMES = events.NAMES
BROADCAST = "broadcast"
TRIGGER_LIST_FILTERS = {"category": "categories", "product": "products", "sku": "skus"}
TRIGGER_FIELD_FILTERS = {"min_total": ("$gte", "total"), "max_total": ("$lte", "total")}
OPERATORS = {"==": None, "!=": "$neq", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
CUSTOMER_FIELDS = {
    "orders_count", "total_spent", "marketing_consent", "locale", "time_zone", "email",
    "median_order_interval_days", "consent_email", "consent_sms", "consent_whatsapp",
}
SINCE_ANCHORS = {"last_order": "since__last_order", "first_order": "since__first_order"}
# The options each kind of condition takes (its own key first: that is how a condition is recognised).
CONDITION_OPTIONS = {
    "any": ("any",), "all": ("all",), "segment": ("segment",), "bought": ("bought",), "not_bought": ("not_bought",),
    "tagged": ("tagged",), "not_tagged": ("not_tagged",), "count": ("count", "op", "value"),
    "orders": ("orders", "op", "value"), "since": ("since", "op", "value"), "fact": ("fact", "op", "value"),
    "event": ("event", "op", "value"), "reachable": ("reachable", "class"), "not_reachable": ("not_reachable", "class"),
}
SEND_CLASSES = ("marketing", "transactional")
ONCE_SCOPES = {"event", "order", "product", "customer"}


class RuleDefinitionError(ValueError):
    """A rule definition that cannot compile; the message names the rule and the field.

    ``problems`` lists every problem found in the rule (this one first): compiling goes on past
    a bad trigger, condition or step, so one run reports them all.
    """

    def __init__(self, rule_id: str, field_path: str, problem: str):
        super().__init__(f"rule {rule_id!r}, {field_path}: {problem}")
        self.rule_id, self.field_path, self.problem = rule_id, field_path, problem
        self.problems: list[RuleDefinitionError] = [self]

    @classmethod
    def combined(cls, errors: list[RuleDefinitionError]) -> RuleDefinitionError:
        first = errors[0]
        error = cls(first.rule_id, first.field_path, first.problem)
        error.problems = list(errors)
        error.args = ("\n".join(str(e) for e in errors),)
        return error


def overlaps(path: str, other: str) -> bool:
    """Whether two field paths name the same value or one lies inside the other."""
    short, long = sorted((path, other), key=len)
    return long == short or long.startswith((f"{short}.", f"{short}["))


class _Compiler:
    def __init__(self, rule_id: str):
        self.rule_id = rule_id
        self.windows: set[int] = set()
        self.problems: list[RuleDefinitionError] = []

    def fail(self, where: str, problem: str):
        raise RuleDefinitionError(self.rule_id, where, problem)

    def only(self, where: str, argument: dict, allowed) -> None:
        """Refuse options a mapping does not know (a typo must not be silently ignored)."""
        unknown = sorted(set(argument) - set(allowed), key=str)
        if unknown:
            self.fail(f"{where}.{unknown[0]}", f"unknown option; one of {', '.join(allowed)}")

    def attempt(self, compile_part, *args, default=None):
        """``compile_part(*args)``, or ``default`` with its problem recorded: compiling goes on."""
        try:
            return compile_part(*args)
        except RuleDefinitionError as error:
            self.problems.extend(error.problems)
            return default

    def duration(self, where: str, value) -> timedelta:
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(where, str(error))

    # -- triggers ------------------------------------------------------------------------------
    def trigger(self, trigger) -> dict:
        if not isinstance(trigger, dict):
            self.fail("trigger", "must be a mapping with an 'event' or a 'fact'")
        if "fact" in trigger:
            return self.fact_trigger(trigger)
        event = trigger.get("event")
        if not events.is_trigger(event):
            self.fail("trigger.event", f"unknown event {event!r}; one of {sorted(EVENT_NAMES)} or custom.<name>")
        terms: list[dict] = [{"kind": "event"}, {"type": event}]
        if event == BROADCAST:
            terms.append({"rule": self.rule_id})  # a broadcast is for the rule that staff broadcast
        for name, value in trigger.items():
            if name == "event":
                continue
            if name in TRIGGER_LIST_FILTERS:
                if not listify(value) or not all(_is_name(item) for item in listify(value)):
                    self.fail(f"trigger.{name}", "must be a slug or a non-empty list of slugs")
                choices = [{"$iany": {TRIGGER_LIST_FILTERS[name]: {"$i": str(item)}}} for item in listify(value)]
                terms.append(choices[0] if len(choices) == 1 else {"$or": choices})
            elif name in TRIGGER_FIELD_FILTERS:
                operator, event_field = TRIGGER_FIELD_FILTERS[name]
                if not is_number(value):
                    self.fail(f"trigger.{name}", "must be a number")
                terms.append({operator: {event_field: value}})
            else:
                known = sorted(["event", *TRIGGER_LIST_FILTERS, *TRIGGER_FIELD_FILTERS])
                self.fail(f"trigger.{name}", f"unknown filter; one of {known}")
        return {"$and": terms}

    def fact_trigger(self, trigger) -> dict:
        name = trigger["fact"]
        if not isinstance(name, str) or not name:
            self.fail("trigger.fact", "must name a fact")
        terms: list[dict] = [{"kind": "change"}, {"fact": name}]
        for option, value in trigger.items():
            if option == "fact":
                continue
            if option == "to":
                if not _is_scalar(value):
                    self.fail("trigger.to", "must be a text, number or true/false")
                terms.append({"new": value})
            elif option == "above":
                if not is_number(value):
                    self.fail("trigger.above", "must be a number")
                terms.append({"$gte": {"new": value}})
                terms.append({"$or": [{"$nex": {"old": 1}}, {"$lt": {"old": value}}]})
            else:
                self.fail(f"trigger.{option}", "unknown option; one of fact, to, above")
        return {"$and": terms}

    # -- conditions ----------------------------------------------------------------------------
    def conditions(self, conditions, where="conditions") -> list[dict]:
        if conditions in (None, []):
            return []
        if not isinstance(conditions, list):
            self.fail(where, "must be a list")
        terms = [self.attempt(self.condition, c, f"{where}[{i}]") for i, c in enumerate(conditions)]
        return [term for term in terms if term is not None]

    def top_conditions(self, conditions) -> list[tuple[dict, bool]]:
        """Each top-level condition with whether it tests the trigger fact (``event:``)."""
        if conditions in (None, []):
            return []
        if not isinstance(conditions, list):
            self.fail("conditions", "must be a list")
        compiled = [(self.attempt(self.condition, c, f"conditions[{i}]"), isinstance(c, dict) and "event" in c)
                    for i, c in enumerate(conditions)]
        return [(term, on_event) for term, on_event in compiled if term is not None]

    def condition(self, condition, where) -> dict:
        if not isinstance(condition, dict) or not condition:
            self.fail(where, "must be a mapping")
        kind = next((k for k in CONDITION_OPTIONS if k in condition), None)
        if kind is not None:
            self.only(where, condition, CONDITION_OPTIONS[kind])
        if "any" in condition or "all" in condition:
            name = "any" if "any" in condition else "all"
            known_problems = len(self.problems)
            options = self.conditions(condition[name], f"{where}.{name}")
            if not options and len(self.problems) == known_problems:
                self.fail(f"{where}.{name}", "needs at least one condition")
            return {"$or" if name == "any" else "$and": options}
        if "segment" in condition:
            self.fail(f"{where}.segment", f"unknown segment {condition['segment']!r}; the pack declares it under segments")
        if "bought" in condition or "not_bought" in condition:
            negate = "not_bought" in condition
            argument = condition["not_bought" if negate else "bought"]
            keys = self.purchase_keys(f"{where}.{'not_bought' if negate else 'bought'}", argument)
            if negate:
                return {"$and": [{"$nex": {k: 1}} for k in keys]} if len(keys) > 1 else {"$nex": {keys[0]: 1}}
            return {"$or": [{"$ex": {k: 1}} for k in keys]} if len(keys) > 1 else {"$ex": {keys[0]: 1}}
        if "tagged" in condition or "not_tagged" in condition:
            name = "tagged" if "tagged" in condition else "not_tagged"
            if not isinstance(condition[name], str) or not condition[name]:
                self.fail(f"{where}.{name}", "must be a tag name")
            return {"$ex" if name == "tagged" else "$nex": {factkeys.tag(condition[name]): 1}}
        if "reachable" in condition or "not_reachable" in condition:
            return self.reachable(where, condition)
        if "count" in condition:
            argument = condition["count"]
            if not isinstance(argument, dict) or not _is_name(argument.get("category")):
                self.fail(f"{where}.count", "needs a 'category'")
            self.only(f"{where}.count", argument, ("category",))
            return self.comparison(where, factkeys.category(argument["category"]), condition, missing_is_zero=True)
        if "orders" in condition:
            argument = condition["orders"]
            if not isinstance(argument, dict) or "within" not in argument:
                self.fail(f"{where}.orders", "needs 'within' (a duration)")
            self.only(f"{where}.orders", argument, ("within",))
            seconds = int(self.duration(f"{where}.orders.within", argument["within"]).total_seconds())
            self.windows.add(seconds)
            return self.comparison(where, factkeys.orders_within(seconds), condition, missing_is_zero=True)
        if "since" in condition:
            anchor = condition["since"]
            if isinstance(anchor, dict) and list(anchor) == ["category"] and _is_name(anchor["category"]):
                fact_name = factkeys.since_category(anchor["category"])
            elif isinstance(anchor, dict) and list(anchor) == ["fact"] and isinstance(anchor["fact"], str) and anchor["fact"]:
                fact_name = factkeys.since_fact(anchor["fact"])
            elif isinstance(anchor, str) and anchor in SINCE_ANCHORS:
                fact_name = SINCE_ANCHORS[anchor]
            else:
                self.fail(f"{where}.since", "one of last_order, first_order, {category: slug} or {fact: a date fact}")
            value = self.duration(f"{where}.value", condition.get("value")).total_seconds() / 86400
            return self.comparison(where, fact_name, {**condition, "value": value})
        if "fact" in condition:
            return self.fact_condition(where, condition)
        if "event" in condition:
            return self.comparison(where, str(condition["event"]), condition, alias="event")
        self.fail(where, "unknown condition; one of fact, event, bought, not_bought, count, orders, since, tagged, "
                         "not_tagged, reachable, not_reachable, segment, any, all")

    def reachable(self, where, condition) -> dict:
        """``{reachable: sms}``: a message of this channel kind could reach the customer now — they
        have its address (a phone for SMS, an e-mail address for e-mail and webhooks) and, for a
        marketing message (``class``, as a send's: marketing unless it says transactional),
        marketing consent on that channel kind (``consent_<kind>``). ``not_reachable`` is the opposite."""
        name = "reachable" if "reachable" in condition else "not_reachable"
        kind, send_class = condition[name], condition.get("class", "marketing")
        if kind not in factkeys.REACHABLE:
            self.fail(f"{where}.{name}", f"unknown channel kind {kind!r}; one of {sorted(factkeys.REACHABLE)}")
        if send_class not in SEND_CLASSES:
            self.fail(f"{where}.class", f"must be one of {list(SEND_CLASSES)}")
        key, agreed = factkeys.reach(kind), f"consent_{consent.kind_for_channel(kind)}"  # that channel's consent
        if name == "reachable":
            terms = [{"$ex": {key: 1}}, *([{agreed: True}] if send_class == "marketing" else [])]
            return terms[0] if len(terms) == 1 else {"$and": terms}
        terms = [{"$nex": {key: 1}}, *([{"$neq": {agreed: True}}] if send_class == "marketing" else [])]
        return terms[0] if len(terms) == 1 else {"$or": terms}

    def purchase_keys(self, where, argument) -> list[str]:
        if not isinstance(argument, dict) or not set(argument) & {"category", "product"}:
            self.fail(where, "needs 'category' or 'product'")
        self.only(where, argument, ("category", "product"))
        for name in ("category", "product"):
            if name in argument and (not listify(argument[name]) or not all(_is_name(v) for v in listify(argument[name]))):
                self.fail(f"{where}.{name}", "must be a slug or a non-empty list of slugs")
        keys = [factkeys.category(c) for c in listify(argument.get("category", []))]
        keys += [factkeys.product(p) for p in listify(argument.get("product", []))]
        return keys

    def fact_condition(self, where, condition) -> dict:
        name = condition["fact"]
        if name in CUSTOMER_FIELDS:
            return self.comparison(where, name, condition)
        if isinstance(name, str) and name.startswith("facts."):
            return self.comparison(where, factkeys.fact(name.removeprefix("facts.")), condition)
        self.fail(f"{where}.fact", f"unknown fact {name!r}; one of {sorted(CUSTOMER_FIELDS)} or facts.<name>")

    def comparison(self, where, key, condition, missing_is_zero=False, alias="customer") -> dict:
        op, value = condition.get("op", "=="), condition.get("value")
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
                self.fail(f"{where}.value", "must be a non-empty list of texts or numbers")
            if op == "in":
                return {"$or": [{key: v} for v in value]}
            return {"$and": [{"$neq": {key: v}} for v in value]}
        if op == "exists":
            return {"$ex": {key: 1}}
        if op == "missing":
            return {"$nex": {key: 1}}
        if op not in OPERATORS:
            self.fail(f"{where}.op", f"unknown operator {op!r}; one of {[*OPERATORS, 'in', 'not_in', 'exists', 'missing']}")
        if not _is_scalar(value):
            self.fail(f"{where}.value", "must be a text, number or true/false")
        operator = OPERATORS[op]
        test = {key: value} if operator is None else {operator: {key: value}}
        if missing_is_zero and is_number(value) and _holds_for_zero(op, value):
            return {"$or": [{"$nex": {key: 1}}, test]}
        return test

    # -- steps ---------------------------------------------------------------------------------
    def plan(self, steps, prefix="steps", guard=None, branch=False, waits=None) -> tuple[list[dict], list[PlannedAction]]:
        """Compile a list of steps, each by its kind in the registry (``rules.steps``); ``waits``:
        those before a branch that starts at once (a split's), which its actions wait too."""
        if not isinstance(steps, list) or (not steps and not branch):
            self.fail(prefix, "must be a non-empty list")
        build = Build(branch=branch, guard=list(guard or []), waits=list(waits or []))
        known_problems = len(self.problems)
        for index, step in enumerate(steps):
            build.index, build.where, build.last = index, f"{prefix}[{index}]", index == len(steps) - 1
            self.attempt(self.step, build, step)
        if len(self.problems) > known_problems:
            return build.effects, build.plan
        if not build.plan and not build.effects and not branch:
            self.fail(prefix, "has nothing to do (no send, effect, notify_staff, sync_to_saleor or emit step)")
        return build.effects, build.plan

    def step(self, build: Build, step) -> None:
        if not isinstance(step, dict) or len(step) != 1:
            self.fail(build.where, f"must be exactly one of {step_names()}")
        (kind, argument), = step.items()
        if kind not in STEPS:
            self.fail(f"{build.where}.{kind}", f"unknown step; one of {step_names()}")
        STEPS[kind].compile(self, build, argument)


def walk_steps(steps, path=("steps",)):
    """Every step of a definition with its path, the steps of its branches (each kind's
    ``branches``: a wait for an event's, a split's) included."""
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        here = (*path, index)
        yield here, step
        for kind, argument in step.items():
            for branch in STEPS[kind].branches(argument) if kind in STEPS else []:
                yield from walk_steps(branch.steps, (*here, *branch.path))


def used_templates(definition) -> set[str]:
    """The message templates a definition sends (each step kind names its own; branches too)."""
    steps = definition.get("steps") if isinstance(definition, dict) else None
    return {template for _, step in walk_steps(steps) for kind, argument in step.items() if kind in STEPS
            for template in STEPS[kind].templates(argument)}


def compile_rule(rule_id: str, definition) -> CompiledRule:
    """Compile a definition, or raise one RuleDefinitionError listing every problem in it."""
    compiler = _Compiler(rule_id)
    if not isinstance(definition, dict):
        compiler.fail("definition", "must be a mapping")
    for name in sorted(set(definition) - {"trigger", "conditions", "steps", "title", "description", "once", "enabled"}):
        compiler.problems.append(RuleDefinitionError(rule_id, name, "unknown field"))
    once = definition.get("once", "event")
    if once not in ONCE_SCOPES:
        compiler.problems.append(RuleDefinitionError(rule_id, "once", f"{once!r} is not one of {sorted(ONCE_SCOPES)}"))
    trigger = compiler.attempt(compiler.trigger, definition.get("trigger"), default={"$and": []})
    customer_terms = []
    for term, on_event in compiler.attempt(compiler.top_conditions, definition.get("conditions"), default=[]):
        (trigger["$and"] if on_event else customer_terms).append(term)
    effects, plan = compiler.attempt(compiler.plan, definition.get("steps"), default=([], []))
    if isinstance(definition.get("trigger"), dict) and definition["trigger"].get("event") == BROADCAST:
        compiler.problems += broadcast_class_problems(rule_id, definition.get("steps"))
    if compiler.problems:
        raise RuleDefinitionError.combined(compiler.problems)
    condition = [{"e": trigger}]
    if customer_terms:
        condition.append({"c": {"$and": [{"kind": "customer"}, *customer_terms]}})
    return CompiledRule(rule_id, condition, effects, plan, once, frozenset(compiler.windows))


def broadcast_class_problems(rule_id: str, steps) -> list[RuleDefinitionError]:
    """A broadcast is marketing, always: a send of a rule triggered by ``broadcast`` cannot say
    ``class: transactional`` (it would reach customers without consent, past caps, quiet hours,
    pauses and holdouts). Every send of the rule counts, branches included."""
    return [RuleDefinitionError(rule_id, f"{_path(path)}.send.class",
                                _("a broadcast is marketing: its messages cannot be transactional"))
            for path, step in walk_steps(steps)
            if isinstance(step.get("send"), dict) and step["send"].get("class", "marketing") != "marketing"]


def _path(path: tuple) -> str:
    """('steps', 1, 'wait', 'on_event', 0) → 'steps[1].wait.on_event[0]'."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _is_name(value) -> bool:
    """A category, product or SKU as a rule names it: a text, or a number (an id)."""
    return (isinstance(value, str) and bool(value)) or (is_number(value))


def _is_scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool))


def _holds_for_zero(op, value) -> bool:
    return {"==": 0 == value, "!=": 0 != value, ">": 0 > value, ">=": 0 >= value,
            "<": 0 < value, "<=": 0 <= value}[op]
