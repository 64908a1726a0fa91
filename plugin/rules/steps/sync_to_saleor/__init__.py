"""``sync_to_saleor``: write these customer facts to the customer's private metadata in Saleor."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..base import Build, StepKind, ref
from ..effects import FACT_NAME


class SyncToSaleor(StepKind):
    name = "sync_to_saleor"
    plans = "sync_to_saleor"
    example = ["tier"]
    label = gettext_lazy("Update Saleor")
    schema = {
        "type": "array",
        "minItems": 1,
        "items": ref("fact_name"),
        "description": "Facts written to the customer's private metadata in Saleor",
        "examples": [["tier"]],
    }

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, list) or not argument or not all(
                isinstance(name, str) and FACT_NAME.fullmatch(name) for name in argument):
            compiler.fail(f"{build.where}.sync_to_saleor", "must be a list of fact names, e.g. [tier, category_counts]")
        build.schedule(self.plans, {"facts": list(argument)})

    def planned_argument(self, params: dict):
        return params.get("facts", [])

    def describe(self, argument, words) -> str:
        return words.say(_("copy {facts} to the customer in Saleor"), facts=words.join(
            [words.fact(fact) for fact in argument or []]))


KINDS = [SyncToSaleor()]
