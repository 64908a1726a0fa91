"""Rule definitions (docs/rule-packs.md) → engine conditions and plans. No database, no HTTP.

A rule compiles to a durable-rules condition over a trigger fact (an ``event``, or a ``change``
of a customer fact) and, when it has conditions, the ``customer`` fact; and to a plan: the
effects applied at once (they are what chains rules) and the actions to schedule, each with the
waits before it and the guards re-checked when it falls due.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from . import factkeys
from .durations import parse_duration

EVENT_NAMES = {
    "order_placed", "order_paid", "order_fulfilled", "order_cancelled", "checkout_updated",
    "cart_abandoned", "category_bought", "product_bought", "customer_created", "customer_updated",
    "message_opened", "message_clicked", "message_bounced", "unsubscribed", "message_sent",
    "survey_answered", "list_joined", "form_submitted", "manual_trigger",
}
CUSTOM_EVENT = re.compile(r"custom\.[a-z0-9_.-]+")
TRIGGER_LIST_FILTERS = {"category": "categories", "product": "products", "sku": "skus"}
TRIGGER_FIELD_FILTERS = {"min_total": ("$gte", "total"), "max_total": ("$lte", "total")}
OPERATORS = {"==": None, "!=": "$neq", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
CUSTOMER_FIELDS = {
    "orders_count", "total_spent", "marketing_consent", "locale", "time_zone", "email",
    "median_order_interval_days",
}
SINCE_ANCHORS = {"last_order": "since__last_order", "first_order": "since__first_order"}
GUARDS = {"not_bought_since", "not_bought", "no_order_since", "marketing_consent", "no_event_since"}
MESSAGE_CLASSES = {"marketing", "transactional"}
STEP_KINDS = ("wait, check, send, set, increment, tag, untag, stamp, pause_marketing, notify_staff, "
              "sync_to_saleor, emit")
FACT_NAME = re.compile(r"[a-z][a-z0-9_]*")
ONCE_SCOPES = {"event", "order", "product", "customer"}
EFFECTS = {"set", "increment", "tag", "untag", "stamp", "pause_marketing"}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class RuleDefinitionError(ValueError):
    """A rule definition that cannot compile; the message names the rule and the field."""

    def __init__(self, rule_id: str, field_path: str, problem: str):
        super().__init__(f"rule {rule_id!r}, {field_path}: {problem}")
        self.rule_id, self.field_path, self.problem = rule_id, field_path, problem


@dataclass(frozen=True)
class PlannedAction:
    step: int
    kind: str
    waits: tuple
    params: dict
    guard: list = field(default_factory=list)
    path: str = ""

    @property
    def key(self) -> str:
        """This action's place in the rule, unique within it (branches included)."""
        return self.path or str(self.step)


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    condition: list[dict]
    effects: list[dict]
    plan: list[PlannedAction]
    once: str = "event"
    windows: frozenset = frozenset()


class _Compiler:
    def __init__(self, rule_id: str):
        self.rule_id = rule_id
        self.windows: set[int] = set()

    def fail(self, where: str, problem: str):
        raise RuleDefinitionError(self.rule_id, where, problem)

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
        if event not in EVENT_NAMES and not (isinstance(event, str) and CUSTOM_EVENT.fullmatch(event)):
            self.fail("trigger.event", f"unknown event {event!r}; one of {sorted(EVENT_NAMES)} or custom.<name>")
        terms: list[dict] = [{"kind": "event"}, {"type": event}]
        for name, value in trigger.items():
            if name == "event":
                continue
            if name in TRIGGER_LIST_FILTERS:
                choices = [{"$iany": {TRIGGER_LIST_FILTERS[name]: {"$i": str(item)}}} for item in _listify(value)]
                terms.append(choices[0] if len(choices) == 1 else {"$or": choices})
            elif name in TRIGGER_FIELD_FILTERS:
                operator, event_field = TRIGGER_FIELD_FILTERS[name]
                if not _is_number(value):
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
                if not _is_number(value):
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
        return [self.condition(c, f"{where}[{i}]") for i, c in enumerate(conditions)]

    def top_conditions(self, conditions) -> list[tuple[dict, bool]]:
        """Each top-level condition with whether it tests the trigger fact (``event:``)."""
        terms = self.conditions(conditions)
        return [(term, isinstance(c, dict) and "event" in c) for term, c in zip(terms, conditions or [])]

    def condition(self, condition, where) -> dict:
        if not isinstance(condition, dict) or not condition:
            self.fail(where, "must be a mapping")
        if "any" in condition or "all" in condition:
            name = "any" if "any" in condition else "all"
            options = self.conditions(condition[name], f"{where}.{name}")
            if not options:
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
        if "tagged" in condition:
            return {"$ex": {factkeys.tag(condition["tagged"]): 1}}
        if "not_tagged" in condition:
            return {"$nex": {factkeys.tag(condition["not_tagged"]): 1}}
        if "count" in condition:
            argument = condition["count"]
            if not isinstance(argument, dict) or "category" not in argument:
                self.fail(f"{where}.count", "needs a 'category'")
            return self.comparison(where, factkeys.category(argument["category"]), condition, missing_is_zero=True)
        if "orders" in condition:
            argument = condition["orders"]
            if not isinstance(argument, dict) or "within" not in argument:
                self.fail(f"{where}.orders", "needs 'within' (a duration)")
            seconds = int(self.duration(f"{where}.orders.within", argument["within"]).total_seconds())
            self.windows.add(seconds)
            return self.comparison(where, factkeys.orders_within(seconds), condition, missing_is_zero=True)
        if "since" in condition:
            anchor = condition["since"]
            if isinstance(anchor, dict) and "category" in anchor:
                fact_name = factkeys.since_category(anchor["category"])
            elif isinstance(anchor, dict) and isinstance(anchor.get("fact"), str):
                fact_name = factkeys.since_fact(anchor["fact"])
            elif anchor in SINCE_ANCHORS:
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
                         "not_tagged, segment, any, all")

    def purchase_keys(self, where, argument) -> list[str]:
        if not isinstance(argument, dict) or not set(argument) & {"category", "product"}:
            self.fail(where, "needs 'category' or 'product'")
        keys = [factkeys.category(c) for c in _listify(argument.get("category", []))]
        keys += [factkeys.product(p) for p in _listify(argument.get("product", []))]
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
        if missing_is_zero and _is_number(value) and _holds_for_zero(op, value):
            return {"$or": [{"$nex": {key: 1}}, test]}
        return test

    # -- steps ---------------------------------------------------------------------------------
    def plan(self, steps, prefix="steps", guard=None, branch=False) -> tuple[list[dict], list[PlannedAction]]:
        if not isinstance(steps, list) or (not steps and not branch):
            self.fail(prefix, "must be a non-empty list")
        waits: list = []
        guard: list = list(guard or [])
        effects: list[dict] = []
        plan: list[PlannedAction] = []
        for index, step in enumerate(steps):
            where = f"{prefix}[{index}]"
            if isinstance(step, dict) and isinstance(step.get("wait"), dict) and "event" in step["wait"]:
                if index != len(steps) - 1:
                    self.fail(f"{where}.wait", "a wait for an event ends its steps; put what follows in on_event / on_timeout")
                plan.append(self.await_event(where, step["wait"], index, tuple(waits), guard))
                continue
            if not isinstance(step, dict) or len(step) != 1:
                self.fail(where, f"must be exactly one of {STEP_KINDS}")
            (kind, argument), = step.items()
            if kind == "wait":
                waits.append(self.wait(f"{where}.wait", argument))
            elif kind == "check":
                guard = guard + self.guard(f"{where}.check", argument)
            elif kind == "send":
                plan.append(PlannedAction(index, "send", tuple(waits), self.send(f"{where}.send", argument), list(guard), where))
            elif kind == "notify_staff":
                if not isinstance(argument, dict) or not argument.get("template"):
                    self.fail(f"{where}.notify_staff", "needs a 'template'")
                params = {"template": argument["template"], "channel": argument.get("channel", "email")}
                plan.append(PlannedAction(index, "notify_staff", tuple(waits), params, list(guard), where))
            elif kind == "sync_to_saleor":
                if not isinstance(argument, list) or not argument or not all(
                        isinstance(name, str) and FACT_NAME.fullmatch(name) for name in argument):
                    self.fail(f"{where}.sync_to_saleor", "must be a list of fact names, e.g. [tier, category_counts]")
                plan.append(PlannedAction(index, "sync_to_saleor", tuple(waits), {"facts": list(argument)},
                                          list(guard), where))
            elif kind == "emit":
                if not isinstance(argument, str) or not CUSTOM_EVENT.fullmatch(f"custom.{argument}"):
                    self.fail(f"{where}.emit", "must be an event name of letters, digits, '.', '_' or '-'")
                plan.append(PlannedAction(index, "emit", tuple(waits), {"event": f"custom.{argument}"}, list(guard), where))
            elif kind in EFFECTS:
                effect = self.effect(f"{where}.{kind}", kind, argument)
                if waits or branch:
                    plan.append(PlannedAction(index, "effect", tuple(waits), effect, list(guard), where))
                else:
                    effects.append(effect)
            else:
                self.fail(f"{where}.{kind}", f"unknown step; one of {STEP_KINDS}")
        if not plan and not effects and not branch:
            self.fail(prefix, "has nothing to do (no send, effect, notify_staff, sync_to_saleor or emit step)")
        return effects, plan

    def await_event(self, where, argument, index, waits, guard) -> PlannedAction:
        """``wait: {event, within, on_event, on_timeout}``: branches compiled now, scheduled later."""
        event = argument.get("event")
        if event not in EVENT_NAMES and not (isinstance(event, str) and CUSTOM_EVENT.fullmatch(event)):
            self.fail(f"{where}.wait.event", f"unknown event {event!r}")
        unknown = set(argument) - {"event", "within", "on_event", "on_timeout"}
        if unknown:
            self.fail(f"{where}.wait.{sorted(unknown)[0]}", "unknown option; one of event, within, on_event, on_timeout")
        within = self.duration(f"{where}.wait.within", argument.get("within")).total_seconds()
        branches = {}
        for name in ("on_event", "on_timeout"):
            _, branch_plan = self.plan(argument.get(name, []), f"{where}.wait.{name}", guard, branch=True)
            branches[name] = [plan_to_dict(p) for p in branch_plan]
        if not branches["on_event"] and not branches["on_timeout"]:
            self.fail(f"{where}.wait", "needs on_event or on_timeout steps")
        params = {"event": event, "within": within, **branches}
        return PlannedAction(index, "await", (*waits, {"for": within}), params, list(guard), where)

    def wait(self, where, argument):
        if isinstance(argument, (str, int, float)):
            return {"for": self.duration(where, argument).total_seconds()}
        if not isinstance(argument, dict):
            self.fail(where, "a duration, {until: 'HH:MM', weekday: mon}, {anniversary: fact} or {refill: {...}}")
        if "refill" in argument:
            refill = argument["refill"]
            if not isinstance(refill, dict) or "period" not in refill:
                self.fail(f"{where}.refill", "needs a 'period'")
            return {"refill": {
                "period": self.duration(f"{where}.refill.period", refill["period"]).total_seconds(),
                "lead": self.duration(f"{where}.refill.lead", refill.get("lead", 0)).total_seconds(),
                "per_quantity": bool(refill.get("per_quantity", True)),
                "own_rhythm": bool(refill.get("own_rhythm", True)),
                "category": refill.get("category"),
            }}
        if "anniversary" in argument:
            match = TIME_OF_DAY.fullmatch(str(argument.get("at", "09:00")))
            if not isinstance(argument["anniversary"], str) or not match:
                self.fail(f"{where}.anniversary", "names a date fact, with 'at' a time of day HH:MM")
            return {"anniversary": argument["anniversary"], "at": argument.get("at", "09:00")}
        if "until" in argument:
            match = TIME_OF_DAY.fullmatch(str(argument["until"]))
            if not match:
                self.fail(f"{where}.until", "must be a time of day, HH:MM")
            weekday = argument.get("weekday")
            if weekday is not None and weekday not in WEEKDAYS:
                self.fail(f"{where}.weekday", f"one of {WEEKDAYS}")
            unknown = set(argument) - {"until", "weekday"}
            if unknown:
                self.fail(f"{where}.{sorted(unknown)[0]}", "unknown option")
            return {"until": argument["until"], "weekday": weekday}
        self.fail(where, "a duration, {until: 'HH:MM', weekday: mon}, {anniversary: fact} or {refill: {...}}")

    def guard(self, where, check) -> list[dict]:
        if not isinstance(check, dict) or not check:
            self.fail(where, "must be a mapping of guards")
        guards = []
        for name, argument in check.items():
            if name not in GUARDS:
                self.fail(f"{where}.{name}", f"unknown guard; one of {sorted(GUARDS)}")
            if name in ("not_bought_since", "not_bought"):
                self.purchase_keys(f"{where}.{name}", argument)
            if name == "no_order_since" and argument is not True:
                self.fail(f"{where}.{name}", "write no_order_since: true")
            if name == "no_event_since":
                for event in _listify(argument):
                    if event not in EVENT_NAMES and not (isinstance(event, str) and CUSTOM_EVENT.fullmatch(event)):
                        self.fail(f"{where}.{name}", f"unknown event {event!r}")
            guards.append({name: argument})
        return guards

    def send(self, where, argument) -> dict:
        if not isinstance(argument, dict) or not argument.get("template"):
            self.fail(where, "needs a 'template'")
        unknown = set(argument) - {"template", "channel", "class", "voucher", "recommend"}
        if unknown:
            self.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of template, channel, class, voucher, recommend")
        message_class = argument.get("class", "marketing")
        if message_class not in MESSAGE_CLASSES:
            self.fail(f"{where}.class", f"one of {sorted(MESSAGE_CLASSES)}")
        params = {"channel": argument.get("channel", "email"), "template": argument["template"], "class": message_class}
        if "voucher" in argument:
            params["reward"] = {"voucher": self.voucher(f"{where}.voucher", argument["voucher"])}
        if "recommend" in argument:
            params["recommend"] = self.recommend(f"{where}.recommend", argument["recommend"])
        return params

    def recommend(self, where, argument) -> dict:
        """The product a cross-sell offers: ``{{ recommendation.name }}``, ``.url``, ``.price``, ``.product``."""
        if not isinstance(argument, dict) or not isinstance(argument.get("name"), str) or not argument["name"]:
            self.fail(where, "needs a 'name' (and optionally url, price, product)")
        unknown = set(argument) - {"name", "url", "price", "product"}
        if unknown:
            self.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of name, url, price, product")
        if "price" in argument and not _is_number(argument["price"]):
            self.fail(f"{where}.price", "must be a number")
        if "url" in argument and not str(argument["url"]).startswith(("https://", "http://")):
            self.fail(f"{where}.url", "must be an http(s) address")
        return {"name": argument["name"], "url": argument.get("url", ""), "price": argument.get("price", ""),
                "product": argument.get("product", "")}

    def voucher(self, where, argument) -> dict:
        if not isinstance(argument, dict):
            self.fail(where, "must be a mapping with value and channel")
        unknown = set(argument) - {"value", "type", "channel", "valid_days", "name", "prefix"}
        if unknown:
            self.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of value, type, channel, valid_days, name, prefix")
        if not _is_number(argument.get("value")) or argument["value"] <= 0:
            self.fail(f"{where}.value", "must be a number above 0")
        if argument.get("type", "percentage") not in ("percentage", "fixed"):
            self.fail(f"{where}.type", "one of fixed, percentage")
        if argument.get("type", "percentage") == "percentage" and argument["value"] > 100:
            self.fail(f"{where}.value", "a percentage cannot be above 100")
        if not isinstance(argument.get("channel"), str) or not argument["channel"]:
            self.fail(f"{where}.channel", "must name the Saleor channel (slug)")
        if "valid_days" in argument and (not isinstance(argument["valid_days"], int) or argument["valid_days"] < 1):
            self.fail(f"{where}.valid_days", "must be a whole number of days, at least 1")
        return dict(argument)

    def effect(self, where, kind, argument) -> dict:
        if kind == "stamp":
            if not isinstance(argument, str) or not FACT_NAME.fullmatch(argument):
                self.fail(where, "must be a fact name: it is set to the time of the triggering event")
            return {"op": "stamp", "fact": argument, "value": None}
        if kind == "pause_marketing":
            seconds = self.duration(where, argument).total_seconds()
            return {"op": "pause", "fact": "marketing_paused_until", "value": seconds}
        if kind in ("tag", "untag"):
            if not isinstance(argument, str) or not argument:
                self.fail(where, "must be a tag name")
            return {"op": kind, "fact": "tags", "value": argument}
        if not isinstance(argument, dict) or not isinstance(argument.get("fact"), str):
            self.fail(where, "needs a 'fact'")
        if kind == "set":
            if "value" not in argument or not _is_scalar(argument["value"]):
                self.fail(f"{where}.value", "must be a text, number or true/false")
            return {"op": "set", "fact": argument["fact"], "value": argument["value"]}
        by = argument.get("by", 1)
        if not _is_number(by):
            self.fail(f"{where}.by", "must be a number")
        return {"op": "increment", "fact": argument["fact"], "value": by}


def walk_steps(steps, path=("steps",)):
    """Every step of a definition with its path, branches of waits for events included."""
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        here = (*path, index)
        yield here, step
        wait = step.get("wait")
        if isinstance(wait, dict):
            for branch in ("on_event", "on_timeout"):
                yield from walk_steps(wait.get(branch), (*here, "wait", branch))


def used_templates(definition) -> set[str]:
    """The message templates a definition sends (``send`` and ``notify_staff``, in branches too)."""
    steps = definition.get("steps") if isinstance(definition, dict) else None
    return {step[kind]["template"] for _, step in walk_steps(steps) for kind in ("send", "notify_staff")
            if isinstance(step.get(kind), dict) and isinstance(step[kind].get("template"), str)}


def plan_to_dict(planned: PlannedAction) -> dict:
    return {"step": planned.step, "kind": planned.kind, "waits": list(planned.waits),
            "params": planned.params, "guard": planned.guard, "path": planned.path}


def plan_from_dict(data: dict) -> PlannedAction:
    return PlannedAction(data["step"], data["kind"], tuple(data["waits"]), data["params"], data["guard"], data["path"])


def compile_rule(rule_id: str, definition) -> CompiledRule:
    compiler = _Compiler(rule_id)
    if not isinstance(definition, dict):
        compiler.fail("definition", "must be a mapping")
    unknown = set(definition) - {"trigger", "conditions", "steps", "title", "description", "once", "enabled"}
    if unknown:
        compiler.fail(sorted(unknown)[0], "unknown field")
    once = definition.get("once", "event")
    if once not in ONCE_SCOPES:
        compiler.fail("once", f"one of {sorted(ONCE_SCOPES)}")
    trigger = compiler.trigger(definition.get("trigger"))
    customer_terms = []
    for term, on_event in compiler.top_conditions(definition.get("conditions")):
        (trigger["$and"] if on_event else customer_terms).append(term)
    condition = [{"e": trigger}]
    if customer_terms:
        condition.append({"c": {"$and": [{"kind": "customer"}, *customer_terms]}})
    effects, plan = compiler.plan(definition.get("steps"))
    return CompiledRule(rule_id, condition, effects, plan, once, frozenset(compiler.windows))


def _listify(value):
    return value if isinstance(value, list) else [value]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool))


def _holds_for_zero(op, value) -> bool:
    return {"==": 0 == value, "!=": 0 != value, ">": 0 > value, ">=": 0 >= value,
            "<": 0 < value, "<=": 0 <= value}[op]
