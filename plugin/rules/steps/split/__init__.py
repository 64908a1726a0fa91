"""``split``: an A/B test — each customer goes down one branch, chosen once and for good by a
hash of the rule, the split's place and the customer (``assignment``), in the shares given::

    - split:
        a: {share: 50, steps: [{send: {template: offer-short}}]}
        b: {share: 50, steps: [{wait: 1d}, {send: {template: offer-long, channel: sms}}]}

Both branches are compiled with the rule; each of a branch's actions carries a ``split`` guard
naming its share, so only the customer's own branch is scheduled (``actions.awaiting``) and,
once the admin has chosen a winner, only the winner's branch runs (``actions.guards``). What
comes before the split (its waits and checks) applies to both branches."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from ..base import Branch, Build, Drawn, StepKind, ref

BRANCH_NAME = re.compile(r"[a-z][a-z0-9_-]{0,19}")
GUARD = "split"
BRANCH_LABEL = gettext_lazy("Branch {name} ({share} %)")


class Split(StepKind):
    name = "split"
    example = {"a": {"share": 50, "steps": [{"tag": "branch-a"}]}, "b": {"share": 50, "steps": [{"tag": "branch-b"}]}}
    label = gettext_lazy("Split (A/B test)")
    schema = {
        "type": "object",
        "minProperties": 2,
        "maxProperties": 4,
        "propertyNames": {"pattern": f"^{BRANCH_NAME.pattern}$"},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"share": {"type": "integer", "minimum": 1, "maximum": 99}, "steps": ref("steps")},
            "required": ["share", "steps"],
        },
        "description": "An A/B test: each customer goes down one branch, for good, in these shares (they add up to 100)",
        "examples": [{"a": {"share": 50, "steps": [{"send": {"template": "offer-short"}}]},
                      "b": {"share": 50, "steps": [{"send": {"template": "offer-long"}}]}}],
    }

    def compile(self, compiler, build: Build, argument) -> None:
        where = f"{build.where}.split"
        if not build.last:
            compiler.fail(where, "a split ends its steps; put what follows in its branches")
        if not isinstance(argument, dict) or not 2 <= len(argument) <= 4:
            compiler.fail(where, "name two to four branches, e.g. {a: {share: 50, steps: [...]}, b: {...}}")
        start = 0
        for name, branch in argument.items():
            if not isinstance(name, str) or not BRANCH_NAME.fullmatch(name):
                compiler.fail(f"{where}.{name}", "a branch is named with lowercase letters, digits, - or _")
            if not isinstance(branch, dict) or set(branch) - {"share", "steps"} or "steps" not in branch:
                compiler.fail(f"{where}.{name}", "write {share: <percent>, steps: [...]}")
            share = branch.get("share")
            if not isinstance(share, int) or isinstance(share, bool) or not 1 <= share <= 99:
                compiler.fail(f"{where}.{name}.share", "a whole percentage, 1 to 99")
            guard = {GUARD: {"at": where, "branch": name, "from": start, "to": start + share}}
            start += share
            _, plan = compiler.plan(branch["steps"], f"{where}.{name}", [*build.guard, guard], branch=True,
                                    waits=build.waits)
            build.plan.extend(plan)
        if start != 100:
            compiler.fail(f"{where}", f"the shares add up to {start}, not 100")

    def branches(self, argument) -> list[Branch]:
        if not isinstance(argument, dict):
            return []
        return [Branch(("split", name, "steps"), f"split.{name}",
                       format_lazy(BRANCH_LABEL, name=name, share=branch.get("share")), branch.get("steps") or [])
                for name, branch in argument.items() if isinstance(branch, dict)]

    def drawn(self, argument, words, where: str, winners: dict) -> Drawn:
        winner = winners.get(f"{where}.split", "")
        return Drawn(str(self.label), _("each customer goes down one branch, for good") + (
            _("; branch {winner} won: everyone now takes it").format(winner=winner) if winner else ""), "branches")

    def describe(self, argument, words) -> str:
        parts = [words.say(_("{branch} ({share} %): {steps}"), branch=words.name(name), share=branch.get("share", "?"),
                           steps=words.steps(branch.get("steps") or []))
                 for name, branch in (argument or {}).items() if isinstance(branch, dict)]
        return words.say(_("split them at random, for good: {branches}"), branches=words.concat(parts, "; "))


KINDS = [Split()]
