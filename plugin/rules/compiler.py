"""Rule definitions (the declarative format of docs/rule-packs.md) → engine conditions and plans.

A definition::

    trigger: {event: order_placed, category: absorbent}
    conditions: [{fact: orders_count, op: ">=", value: 2}]
    steps:
      - wait: 25d
      - check: {not_bought_since: {category: absorbent}}
      - send: {channel: email, template: refill-absorbent}

compiles to a durable-rules condition over an ``event`` fact (and a ``customer`` fact when
there are conditions) plus a plan: the actions to schedule, each with its delay and guards.
Nothing here touches the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .durations import parse_duration

EVENT_NAMES = {
    "order_placed", "order_paid", "order_fulfilled", "order_cancelled", "checkout_updated",
    "cart_abandoned", "category_bought", "customer_created", "customer_updated",
    "message_opened", "message_clicked", "message_bounced", "unsubscribed",
}
TRIGGER_LIST_FILTERS = {"category": "categories", "product": "products", "sku": "skus"}
TRIGGER_FIELD_FILTERS = {"min_total": ("$gte", "total"), "max_total": ("$lte", "total")}
OPERATORS = {"==": None, "!=": "$neq", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
CUSTOMER_FIELDS = {"orders_count", "total_spent", "marketing_consent", "locale", "time_zone", "email"}
GUARDS = {"not_bought_since", "marketing_consent"}
MESSAGE_CLASSES = {"marketing", "transactional"}


class RuleDefinitionError(ValueError):
    """A rule definition that cannot compile; the message names the rule and the field."""

    def __init__(self, rule_id: str, field_path: str, problem: str):
        super().__init__(f"rule {rule_id!r}, {field_path}: {problem}")
        self.rule_id, self.field_path, self.problem = rule_id, field_path, problem


@dataclass(frozen=True)
class PlannedAction:
    step: int
    kind: str
    delay: timedelta
    params: dict
    guard: list = field(default_factory=list)


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    condition: list[dict]
    plan: list[PlannedAction]


def _listify(value):
    return value if isinstance(value, list) else [value]


def _trigger_condition(rule_id: str, trigger) -> dict:
    if not isinstance(trigger, dict):
        raise RuleDefinitionError(rule_id, "trigger", "must be a mapping with an 'event'")
    event = trigger.get("event")
    if event not in EVENT_NAMES:
        raise RuleDefinitionError(rule_id, "trigger.event", f"unknown event {event!r}; one of {sorted(EVENT_NAMES)}")
    terms: list[dict] = [{"kind": "event"}, {"type": event}]
    for key, value in trigger.items():
        if key == "event":
            continue
        if key in TRIGGER_LIST_FILTERS:
            choices = [{"$iany": {TRIGGER_LIST_FILTERS[key]: {"$i": str(item)}}} for item in _listify(value)]
            terms.append(choices[0] if len(choices) == 1 else {"$or": choices})
        elif key in TRIGGER_FIELD_FILTERS:
            operator, name = TRIGGER_FIELD_FILTERS[key]
            if not isinstance(value, (int, float)):
                raise RuleDefinitionError(rule_id, f"trigger.{key}", "must be a number")
            terms.append({operator: {name: value}})
        else:
            known = sorted(["event", *TRIGGER_LIST_FILTERS, *TRIGGER_FIELD_FILTERS])
            raise RuleDefinitionError(rule_id, f"trigger.{key}", f"unknown filter; one of {known}")
    return {"$and": terms}


def _customer_condition(rule_id: str, conditions) -> dict | None:
    if not conditions:
        return None
    if not isinstance(conditions, list):
        raise RuleDefinitionError(rule_id, "conditions", "must be a list")
    terms: list[dict] = [{"kind": "customer"}]
    for index, condition in enumerate(conditions):
        where = f"conditions[{index}]"
        if not isinstance(condition, dict) or "fact" not in condition:
            raise RuleDefinitionError(rule_id, where, "must be a mapping with 'fact', 'op' and 'value'")
        name, op, value = condition["fact"], condition.get("op", "=="), condition.get("value")
        if op not in OPERATORS:
            raise RuleDefinitionError(rule_id, f"{where}.op", f"unknown operator {op!r}; one of {list(OPERATORS)}")
        if not isinstance(value, (str, int, float, bool)):
            raise RuleDefinitionError(rule_id, f"{where}.value", "must be a text, number or true/false")
        if name not in CUSTOMER_FIELDS and not str(name).startswith("facts."):
            raise RuleDefinitionError(rule_id, f"{where}.fact", f"unknown fact {name!r}; one of {sorted(CUSTOMER_FIELDS)} or facts.<name>")
        key = str(name).replace(".", "__")
        operator = OPERATORS[op]
        terms.append({key: value} if operator is None else {operator: {key: value}})
    return {"$and": terms}


def _guard(rule_id: str, where: str, check) -> list[dict]:
    if not isinstance(check, dict) or not check:
        raise RuleDefinitionError(rule_id, where, "must be a mapping of guards")
    guards = []
    for name, argument in check.items():
        if name not in GUARDS:
            raise RuleDefinitionError(rule_id, f"{where}.{name}", f"unknown guard; one of {sorted(GUARDS)}")
        if name == "not_bought_since":
            if not isinstance(argument, dict) or not set(argument) & {"category", "product"}:
                raise RuleDefinitionError(rule_id, f"{where}.{name}", "needs 'category' or 'product'")
        guards.append({name: argument})
    return guards


def _plan(rule_id: str, steps) -> list[PlannedAction]:
    if not isinstance(steps, list) or not steps:
        raise RuleDefinitionError(rule_id, "steps", "must be a non-empty list")
    delay, guard, plan = timedelta(), [], []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict) or len(step) != 1:
            raise RuleDefinitionError(rule_id, where, "must be one of wait, check, send")
        (kind, argument), = step.items()
        if kind == "wait":
            try:
                delay += parse_duration(argument)
            except ValueError as error:
                raise RuleDefinitionError(rule_id, f"{where}.wait", str(error)) from error
        elif kind == "check":
            guard = guard + _guard(rule_id, f"{where}.check", argument)
        elif kind == "send":
            if not isinstance(argument, dict) or not argument.get("template"):
                raise RuleDefinitionError(rule_id, f"{where}.send", "needs a 'template'")
            message_class = argument.get("class", "marketing")
            if message_class not in MESSAGE_CLASSES:
                raise RuleDefinitionError(rule_id, f"{where}.send.class", f"one of {sorted(MESSAGE_CLASSES)}")
            params = {"channel": argument.get("channel", "email"), "template": argument["template"], "class": message_class}
            plan.append(PlannedAction(step=index, kind="send", delay=delay, params=params, guard=list(guard)))
        else:
            raise RuleDefinitionError(rule_id, f"{where}.{kind}", "unknown step; one of wait, check, send")
    if not plan:
        raise RuleDefinitionError(rule_id, "steps", "has nothing to do (no send step)")
    return plan


def compile_rule(rule_id: str, definition) -> CompiledRule:
    if not isinstance(definition, dict):
        raise RuleDefinitionError(rule_id, "definition", "must be a mapping")
    unknown = set(definition) - {"trigger", "conditions", "steps", "title", "description"}
    if unknown:
        raise RuleDefinitionError(rule_id, sorted(unknown)[0], "unknown field")
    condition = [{"e": _trigger_condition(rule_id, definition.get("trigger"))}]
    customer = _customer_condition(rule_id, definition.get("conditions"))
    if customer is not None:
        condition.append({"c": customer})
    return CompiledRule(rule_id=rule_id, condition=condition, plan=_plan(rule_id, definition.get("steps")))
