"""``check``: guards re-checked when each later action falls due (``actions.guards`` holds them)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ....actions.guards import GUARDS
from ... import wording
from ..base import Build, Drawn, StepKind, ref

# The JSON Schema of each guard's argument; every guard of ``GUARDS`` has one (``packs.schema``
# assembles them into ``$defs/check``).
GUARD_SCHEMAS = {
    "not_bought_since": ref("purchase", description="Not bought again after the triggering event"),
    "not_bought": ref("purchase", description="Never bought"),
    "no_order_since": {"const": True, "description": "No order after the triggering event"},
    "no_event_since": {
        "description": "None of these events came after the triggering one",
        "anyOf": [ref("event_name"), {"type": "array", "minItems": 1, "items": ref("event_name")}],
    },
    "marketing_consent": {"const": True, "description": "The customer agreed to marketing on the channel the send goes through (for `channel: preferred`, on one of its channels)"},
    "no_message_since": {
        "const": True,
        "description": "No message went to the customer after the triggering event (staff alerts aside)",
    },
}


def guard_words(name: str, argument, words) -> str:
    """One guard as the sentence says it; every guard of ``GUARDS`` has its words here."""
    if name == "not_bought_since":
        return words.say(_("they have not bought {what} since"), what=wording.purchase(argument, words))
    if name == "not_bought":
        return words.say(_("they have never bought {what}"), what=wording.purchase(argument, words))
    if name == "no_order_since":
        return _("they have not ordered again since")
    if name == "no_event_since":
        events = argument if isinstance(argument, list) else [argument]
        return words.say(_("none of these came since: {events}"), events=words.join(
            [wording.event_phrase(event, words) for event in events], _("or")))
    if name == "marketing_consent":
        return _("they agree to marketing")
    if name == "no_message_since":
        return _("no other message went to them since")
    return words.name(name)


def check_schema() -> dict:
    missing = sorted(set(GUARDS) - set(GUARD_SCHEMAS))
    if missing:
        raise LookupError(f"guards without a schema in rules/steps/check: {missing}")
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: GUARD_SCHEMAS[name] for name in GUARDS},
        "description": "Guards re-checked when each later step falls due",
        "examples": [{"not_bought_since": {"category": "absorbent"}}],
        "minProperties": 1,
    }


class Check(StepKind):
    name = "check"
    example = {"not_bought_since": {"category": "absorbent"}}
    label = gettext_lazy("Check")
    schema = ref("check")

    @property
    def schema_defs(self) -> dict:
        return {"check": check_schema()}

    def compile(self, compiler, build: Build, argument) -> None:
        where = f"{build.where}.check"
        if not isinstance(argument, dict) or not argument:
            compiler.fail(where, "must be a mapping of guards")
        for name, value in argument.items():
            guard = GUARDS.get(name)
            if name == "split":
                compiler.fail(f"{where}.{name}", "a split is a step of its own (split: {a: {share, steps}, …})")
            if guard is None:
                compiler.fail(f"{where}.{name}", f"unknown guard; one of {sorted(GUARDS)}")
            problem = guard.problem(value)
            if problem:
                compiler.fail(f"{where}.{name}", problem)
            build.guard = [*build.guard, {name: value}]

    def drawn(self, argument, words, where: str, winners: dict) -> Drawn:
        """It shows who passed the checks of the action after it, and who was skipped and why."""
        return Drawn(str(self.label), str(self.describe(argument, words)), "checks")

    def describe(self, argument, words) -> str:
        return words.say(_("if {guards}"), guards=words.join(
            [guard_words(name, value, words) for name, value in (argument or {}).items()]))


KINDS = [Check()]
