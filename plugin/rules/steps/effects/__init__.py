"""Effects on the customer's facts: ``set``, ``increment``, ``tag``, ``untag``, ``stamp`` and
``pause_marketing``. Before any wait they apply at once, inside the evaluation (that is how one
rule fires another); after a wait, or in a branch, they are an ``effect`` action."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ... import wording
from ....values import is_number
from ..base import Build, StepKind, ref

FACT_NAME = re.compile(r"[a-z][a-z0-9_]*")
EFFECT = "effect"
# A ``set`` or ``tag`` may say whether it is undone when the order that caused it is cancelled or
# fully refunded (``rules.takeback``); left out, it is for a rule fired by the order's own events.
UNDO = "undo_with_order"
UNDO_SCHEMA = {"type": "boolean", "description": (
    "Take this change back when the order that caused it is cancelled or fully refunded (the value "
    "before is restored if the fact still holds this one). Default: true when the rule was fired by "
    "that order's events (order_placed, order_paid, order_fulfilled, category_bought, product_bought, "
    "and rules chained from them), false otherwise")}


# Each effect kind: the ``op`` of its effect, an example, and the schema of its argument.
KIND_TABLE = {
    "set": ("set", {"fact": "tier", "value": "gold"}, {
        "type": "object",
        "additionalProperties": False,
        "properties": {"fact": {"type": "string", "minLength": 1}, "value": ref("scalar"), UNDO: UNDO_SCHEMA},
        "required": ["fact", "value"],
        "description": "Sets a customer fact",
        "examples": [{"fact": "tier", "value": "gold"}, {"fact": "tier", "value": "gold", UNDO: False}],
    }),
    "increment": ("increment", {"fact": "points", "by": 10}, {
        "type": "object",
        "additionalProperties": False,
        "properties": {"fact": {"type": "string", "minLength": 1}, "by": ref("number")},
        "required": ["fact"],
        "description": "Adds to a numeric fact",
        "examples": [{"fact": "points", "by": 10}],
    }),
    "tag": ("tag", "vip", {"oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": False, "required": ["name"],
         "properties": {"name": {"type": "string", "minLength": 1}, UNDO: UNDO_SCHEMA}},
    ], "description": "Adds a tag: its name, or {name, undo_with_order}",
        "examples": ["vip", {"name": "returning", UNDO: True}]}),
    "untag": ("untag", "vip", {"type": "string", "minLength": 1, "description": "Removes a tag"}),
    "stamp": ("stamp", "welcomed_at", ref("fact_name", description="Sets the fact to the time of the triggering event")),
    "pause_marketing": ("pause", "30d", ref("duration", description="No marketing message for this long")),
}


class Effect(StepKind):
    plans = EFFECT
    immediate = True
    label = gettext_lazy("Change the customer")

    def __init__(self, name: str):
        self.name = name
        self.op, self.example, self.schema = KIND_TABLE[name]

    def sets(self, argument) -> set[str]:
        if self.name in ("set", "increment"):
            return {str(argument.get("fact"))} if isinstance(argument, dict) else set()
        return {"stamp": {str(argument)}, "tag": {f"tag:{tag_name(argument)}"}}.get(self.name, set())

    def planned_argument(self, params: dict):
        if params.get("op") != self.op:
            return None
        fact, value = params.get("fact"), params.get("value")
        return {"set": {"fact": fact, "value": value}, "increment": {"fact": fact, "by": value},
                "stamp": fact}.get(self.name, value)

    def compile(self, compiler, build: Build, argument) -> None:
        effect = self.effect(compiler, f"{build.where}.{self.name}", argument)
        if build.waits or build.branch:
            build.schedule(EFFECT, effect)
        else:
            build.effects.append(effect)

    def describe(self, argument, words) -> str:
        said = self._describe(argument, words)
        undo = words.value(argument.get(UNDO)) if isinstance(argument, dict) else None
        if undo is True:
            return words.say(_("{step} (taken back if the order is cancelled or fully refunded)"), step=said)
        if undo is False:
            return words.say(_("{step} (kept even if the order is cancelled)"), step=said)
        return said

    def _describe(self, argument, words) -> str:
        kind, argument = self.name, words.value(argument)
        if kind == "tag":
            return words.say(_("tag them {tag}"), tag=words.name(words.value(tag_name(argument))))
        if kind == "untag":
            return words.say(_("remove their tag {tag}"), tag=words.name(argument))
        if kind == "stamp":
            return words.say(_("note the time as {fact}"), fact=words.fact(argument))
        if kind == "pause_marketing":
            return words.say(_("pause marketing to them for {duration}"), duration=words.duration(argument))
        what = wording.fact_name(argument["fact"], words)
        if kind == "set":
            return words.say(_("set {what} to {value}"), what=what, value=words.name(words.value(argument.get("value"))))
        return words.say(_("add {by} to {what}"), what=what, by=words.name(words.value(argument.get("by", 1))))

    def effect(self, compiler, where, argument) -> dict:
        kind = self.name
        if kind == "stamp":
            if not isinstance(argument, str) or not FACT_NAME.fullmatch(argument):
                compiler.fail(where, "must be a fact name: it is set to the time of the triggering event")
            return {"op": "stamp", "fact": argument, "value": None}
        if kind == "pause_marketing":
            return {"op": "pause", "fact": "marketing_paused_until", "value": compiler.duration(where, argument).total_seconds()}
        if kind == "tag" and isinstance(argument, dict):
            compiler.only(where, argument, ("name", UNDO))
            if not isinstance(argument.get("name"), str) or not argument["name"]:
                compiler.fail(f"{where}.name", "must be a tag name")
            return {"op": "tag", "fact": "tags", "value": argument["name"], **undo_option(compiler, where, argument)}
        if kind in ("tag", "untag"):
            if not isinstance(argument, str) or not argument:
                compiler.fail(where, "must be a tag name" if kind == "untag" else "must be a tag name or {name, undo_with_order}")
            return {"op": kind, "fact": "tags", "value": argument}
        if not isinstance(argument, dict) or not isinstance(argument.get("fact"), str):
            compiler.fail(where, "needs a 'fact'")
        compiler.only(where, argument, ("fact", "value", UNDO) if kind == "set" else ("fact", "by"))
        if kind == "set":
            value = argument.get("value")
            if "value" not in argument or not isinstance(value, (str, int, float, bool)):
                compiler.fail(f"{where}.value", "must be a text, number or true/false")
            return {"op": "set", "fact": argument["fact"], "value": value, **undo_option(compiler, where, argument)}
        by = argument.get("by", 1)
        if not is_number(by):
            compiler.fail(f"{where}.by", "must be a number")
        return {"op": "increment", "fact": argument["fact"], "value": by}


def tag_name(argument):
    """The tag a ``tag`` step adds: its argument, or the argument's ``name``."""
    return argument.get("name") if isinstance(argument, dict) else argument


def undo_option(compiler, where: str, argument: dict) -> dict:
    """``{"undo": true|false}`` when the step says so (else the effect decides when it is applied)."""
    if UNDO not in argument:
        return {}
    if not isinstance(argument[UNDO], bool):
        compiler.fail(f"{where}.{UNDO}", "must be true or false")
    return {"undo": argument[UNDO]}


KINDS = [Effect(name) for name in KIND_TABLE]
