"""The step kinds a rule's ``steps`` may use, one module each; ``STEPS`` is the registry that the
compiler, the pack loader, the rule form, simulation and the docs look kinds up in.

Adding a step kind: a module here with a ``StepKind`` in its ``KINDS``, a performer for what it
plans in ``actions.perform`` (if it plans a new action kind), its section in docs/rule-packs.md,
and its case in tests/rules/test_step_kinds.py (docs/architecture.md, "Add a step kind").
"""
from __future__ import annotations

from . import check, effects, emit, notify_staff, send, split, sync_to_saleor, wait
from .base import Build, EditableField, StepKind

STEPS: dict[str, StepKind] = {kind.name: kind for module in (wait, check, send, effects, notify_staff, sync_to_saleor,
                                                               emit, split) for kind in module.KINDS}
# The action kinds whose performing renders a message template.
MESSAGE_KINDS = frozenset(kind.plans for kind in STEPS.values() if kind.sends_message)
NAMES = ", ".join(STEPS)

__all__ = ["Build", "EditableField", "MESSAGE_KINDS", "NAMES", "STEPS", "StepKind"]
