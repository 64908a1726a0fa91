"""``check``: guards re-checked when each later action falls due (``actions.guards`` holds them)."""
from __future__ import annotations

from ...actions.guards import GUARDS
from .base import Build, StepKind


class Check(StepKind):
    name = "check"
    example = {"not_bought_since": {"category": "absorbent"}}

    def compile(self, compiler, build: Build, argument) -> None:
        where = f"{build.where}.check"
        if not isinstance(argument, dict) or not argument:
            compiler.fail(where, "must be a mapping of guards")
        for name, value in argument.items():
            guard = GUARDS.get(name)
            if guard is None:
                compiler.fail(f"{where}.{name}", f"unknown guard; one of {sorted(GUARDS)}")
            problem = guard.problem(value)
            if problem:
                compiler.fail(f"{where}.{name}", problem)
            build.guard = [*build.guard, {name: value}]


KINDS = [Check()]
