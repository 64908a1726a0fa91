"""What every step kind provides (one module per kind in this package; the registry is
``steps.STEPS``). A step kind compiles its YAML into the plan, names the templates it uses, and
describes the values a shop admin may edit in its fields. Performing what it plans is the
action stage's job (``actions.perform.PERFORMERS``, one performer per planned kind), because
the rules room never sends, writes to Saleor or touches HTTP."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ...plans import PlannedAction


@dataclass(frozen=True)
class EditableField:
    """A value of a step the admin shows as a form field: ``path`` inside the step."""

    path: tuple
    label: str
    kind: str            # duration | template | channel | message_class | boolean
    help: str = ""
    default: object = None   # what the step does when the value is left out


@dataclass
class Build:
    """The state of compiling one list of steps: waits and checks so far, effects, the plan."""

    branch: bool = False
    guard: list = field(default_factory=list)
    waits: list = field(default_factory=list)
    effects: list = field(default_factory=list)
    plan: list = field(default_factory=list)
    index: int = 0
    where: str = ""
    last: bool = False

    def schedule(self, kind: str, params: dict, extra_wait: dict | None = None) -> None:
        waits = (*self.waits, extra_wait) if extra_wait else tuple(self.waits)
        self.plan.append(PlannedAction(self.index, kind, waits, params, list(self.guard), self.where))


class StepKind(ABC):
    name = ""                  # the YAML key of the step
    plans: str | None = None   # the action kind it schedules (None: it shapes the steps after it)
    sends_message = False      # its action renders a message template
    example = None             # an argument that compiles (the contract tests use it)

    @abstractmethod
    def compile(self, compiler, build: Build, argument) -> None:
        """Validate ``argument`` (``compiler.fail`` names the field) and add to ``build``."""

    @abstractmethod
    def describe(self, argument, words) -> str:
        """This step as a part of its rule's sentence, e.g. "wait 5 days" (``rules.sentences``)."""

    def templates(self, argument) -> set[str]:
        return set()

    def fields(self, argument) -> list[EditableField]:
        return []
