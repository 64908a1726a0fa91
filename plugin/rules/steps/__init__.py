"""The step kinds a rule's ``steps`` may use, one folder each; ``STEPS`` is the registry that the
compiler, the pack loader and its schema (``packs.schema``), the rule form, the journey, the
admin's wording, simulation and the docs look kinds up in.

Adding a step kind is one folder here (a package whose ``KINDS`` lists its ``StepKind``s: it is
found by its folder, nothing else names it) and its section in docs/rule-packs.md; if it plans a
new action kind, a performer registered for it in the action stage (``actions.perform.performs``).
Then ``make schema`` (docs/architecture.md, "Add a step kind").
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Branch, Build, Drawn, EditableField, StepKind, ref


def discover() -> dict[str, StepKind]:
    """Every kind of every folder of this package (its ``__path__``), folders in name order."""
    found: dict[str, StepKind] = {}
    for folder in sorted((module.name for module in pkgutil.iter_modules(__path__) if module.ispkg)):
        for kind in importlib.import_module(f"{__name__}.{folder}").KINDS:
            if kind.name in found:
                raise ImportError(f"two step kinds are named {kind.name!r}")
            found[kind.name] = kind
    return found


STEPS: dict[str, StepKind] = discover()
# The action kinds whose performing renders a message template.
MESSAGE_KINDS = frozenset(kind.plans for kind in STEPS.values() if kind.sends_message)


def names() -> str:
    """The kinds, as an error message lists them."""
    return ", ".join(STEPS)


__all__ = ["Branch", "Build", "Drawn", "EditableField", "MESSAGE_KINDS", "STEPS", "StepKind", "discover", "names", "ref"]
