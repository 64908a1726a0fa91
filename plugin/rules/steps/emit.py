"""``emit``: store the event ``custom.<name>`` for the customer, which other rules trigger on."""
from __future__ import annotations

from ...events import CUSTOM_EVENT
from .base import Build, StepKind


class Emit(StepKind):
    name = "emit"
    plans = "emit"
    example = "vip-welcome"

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, str) or not CUSTOM_EVENT.fullmatch(f"custom.{argument}"):
            compiler.fail(f"{build.where}.emit", "must be an event name of letters, digits, '.', '_' or '-'")
        build.schedule(self.plans, {"event": f"custom.{argument}"})


KINDS = [Emit()]
