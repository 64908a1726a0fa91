"""``emit``: store the event ``custom.<name>`` for the customer, which other rules trigger on."""
from __future__ import annotations

from ...events import CUSTOM_EVENT
from django.utils.translation import gettext as _

from .base import Build, StepKind


class Emit(StepKind):
    name = "emit"
    plans = "emit"
    example = "vip-welcome"

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, str) or not CUSTOM_EVENT.fullmatch(f"custom.{argument}"):
            compiler.fail(f"{build.where}.emit", "must be an event name of letters, digits, '.', '_' or '-'")
        build.schedule(self.plans, {"event": f"custom.{argument}"})

    def describe(self, argument, words) -> str:
        return words.say(_("announce {event} (rules may start on it)"), event=words.name(words.value(argument)))


KINDS = [Emit()]
