"""``sync_to_saleor``: write these customer facts to the customer's private metadata in Saleor."""
from __future__ import annotations

from .base import Build, StepKind
from .effects import FACT_NAME


class SyncToSaleor(StepKind):
    name = "sync_to_saleor"
    plans = "sync_to_saleor"
    example = ["tier"]

    def compile(self, compiler, build: Build, argument) -> None:
        if not isinstance(argument, list) or not argument or not all(
                isinstance(name, str) and FACT_NAME.fullmatch(name) for name in argument):
            compiler.fail(f"{build.where}.sync_to_saleor", "must be a list of fact names, e.g. [tier, category_counts]")
        build.schedule(self.plans, {"facts": list(argument)})


KINDS = [SyncToSaleor()]
