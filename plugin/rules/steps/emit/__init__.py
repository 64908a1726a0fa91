"""``emit``: store the event ``custom.<name>`` for the customer, which other rules trigger on."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ....events import CUSTOM_EVENT
from ..base import Build, StepKind, ref


class Emit(StepKind):
    name = "emit"
    plans = "emit"
    example = "vip-welcome"
    label = gettext_lazy("Start other rules")
    schema = {
        "anyOf": [{"type": "string", "pattern": "^[a-z0-9_.-]+$"}, ref("parameter")],
        "description": "Stores the event custom.<name>",
    }

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, str) or not CUSTOM_EVENT.fullmatch(f"custom.{argument}"):
            compiler.fail(f"{build.where}.emit", "must be an event name of letters, digits, '.', '_' or '-'")
        build.schedule(self.plans, {"event": f"custom.{argument}"})

    def sets(self, argument) -> set[str]:
        return {f"custom.{str(argument).removeprefix('custom.')}"}

    def planned_argument(self, params: dict):
        return str(params.get("event", "")).removeprefix("custom.")

    def describe(self, argument, words) -> str:
        return words.say(_("announce {event} (rules may start on it)"), event=words.name(words.value(argument)))


KINDS = [Emit()]
