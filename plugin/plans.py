"""What a compiled rule is: its engine condition, the effects it applies at once, and the plan of
actions it schedules. Shared by the compiler (which makes them), evaluation and the action stage
(which schedule and store them), and the pack tools (which check them)."""
from __future__ import annotations

from dataclasses import dataclass, field


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


def plan_to_dict(planned: PlannedAction) -> dict:
    return {"step": planned.step, "kind": planned.kind, "waits": list(planned.waits),
            "params": planned.params, "guard": planned.guard, "path": planned.path}


def plan_from_dict(data: dict) -> PlannedAction:
    return PlannedAction(data["step"], data["kind"], tuple(data["waits"]), data["params"], data["guard"], data["path"])
