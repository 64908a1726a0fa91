"""What every step kind provides (one folder per kind in this package; the registry is
``steps.STEPS``). A step kind says everything about itself: its YAML schema fragment (assembled
into ``packs/pack.schema.json`` by ``packs.schema``), how it compiles into the plan, its part of
the rule's sentence, its label and how the journey draws it, how an action it planned is phrased
back, the facts it sets, the steps it branches into, the templates it uses and the values a shop
admin may edit in its fields. Performing what it plans is the action stage's job (a performer
registered under the planned kind with ``actions.perform.performs``), because the rules room
never sends, writes to Saleor or touches HTTP."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ...plans import PlannedAction


def ref(name: str, **more) -> dict:
    """A schema reference to one of the pack schema's ``$defs`` (``packs.schema``), e.g. ``duration``."""
    return {"$ref": f"#/$defs/{name}", **more}


@dataclass(frozen=True)
class EditableField:
    """A value of a step the admin shows as a form field: ``path`` inside the step."""

    path: tuple
    label: str
    kind: str            # duration | template | channel | channels | message_class | boolean
    help: str = ""
    default: object = None   # what the step does when the value is left out


@dataclass(frozen=True)
class Branch:
    """Steps a step runs in a branch of its own: ``path`` leads to them inside the step (the rule
    form, ``compiler.walk_steps``), ``where`` is what the compiler adds to the step's place for the
    branch's actions (their ``path``, which the journey counts), ``label`` heads them in the journey."""

    path: tuple
    where: str
    label: str
    steps: list


@dataclass(frozen=True)
class Drawn:
    """A step as the journey draws it: a box with a label and a text. ``role``: ``action`` (it
    shows what its actions did), ``waits`` (it shows who waits for the next action), ``checks``
    (who passed the next action's checks and who was skipped), ``branches`` (its branches are drawn
    below it; ``counted``: it also shows who waits now and who was answered)."""

    label: str
    text: str
    role: str = "action"
    counted: bool = False


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
    immediate = False          # before any wait it applies inside the evaluation (an effect), not as an action
    example = None             # an argument that compiles (the contract tests use it)
    label = ""                 # what the journey's box of this step is headed (translated, lazily)
    schema: dict = {}          # the JSON Schema of its argument (with a description and, best, examples)
    schema_defs: dict = {}     # named schemas it adds to the pack schema's $defs (``ref(name)`` finds them)

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

    def sets(self, argument) -> set[str]:
        """What the step itself changes that a trigger can name: a fact, ``tag:x``, ``custom.x``
        (the journey links rules by it; its branches are asked on their own)."""
        return set()

    def branches(self, argument) -> list[Branch]:
        """The lists of steps this step runs in branches of its own."""
        return []

    def drawn(self, argument, words, where: str, winners: dict) -> Drawn:
        """How the journey draws it (``where``: its place in the rule; ``winners``: the rule's
        chosen split winners by place)."""
        return Drawn(str(self.label), str(self.describe(argument, words)))

    def planned_argument(self, params: dict):
        """The argument of this kind's step that an action it planned (its ``params``) stands for,
        so the admin can say the action in the rule's words; None when the action is not one of its."""
        return None
