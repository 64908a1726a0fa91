"""Write plugin/packs/pack.schema.json as ``masa.packs.schema`` assembles it (``make schema``):
after adding a step kind, an event type, a guard or a condition."""
from django.core.management.base import BaseCommand, CommandError

from ...packs.schema import PATH, render, write


class Command(BaseCommand):
    help = "Assemble the rule-pack JSON Schema from the step kinds, event types, guards and conditions and write it."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only say whether the committed file is current")

    def handle(self, *args, check=False, **options):
        if check:
            if PATH.read_text() != render():
                raise CommandError(f"{PATH} is stale: run make schema")
            self.stdout.write(f"{PATH} is current")
            return
        self.stdout.write(f"{'wrote' if write() else 'unchanged:'} {PATH}")
