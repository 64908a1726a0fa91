"""Write Masa's generated files, or with ``--check`` say which are stale (``make schema``,
``make subscriptions``): the rule-pack JSON Schema (``masa.packs.schema``, assembled from the step
kinds, event types, guards and conditions) and the Saleor subscription queries (from the Saleor
event declarations, ``masa.signals.normalize.SALEOR_EVENTS``). Run it after adding a step kind,
an event type, a guard, a condition or a Saleor event."""
from django.core.management.base import BaseCommand, CommandError

from ...packs import schema
from ...saleor.client import DOCUMENTS
from ...signals.normalize import subscription_documents


def generated() -> dict:
    """Each generated file's path → the text it must hold."""
    files = {schema.PATH: schema.render()}
    files.update({DOCUMENTS / f"{name}.graphql": text for name, text in subscription_documents(DOCUMENTS).items()})
    return files


class Command(BaseCommand):
    help = "Write the rule-pack JSON Schema and the Saleor subscription queries from their declarations."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only say whether the committed files are current")

    def handle(self, *args, check=False, **options):
        stale = []
        for path, text in generated().items():
            current = path.exists() and path.read_text() == text
            if not current and not check:
                path.write_text(text)
            stale += [] if current else [path]
            self.stdout.write(f"{'unchanged:' if current else 'stale:' if check else 'wrote'} {path}")
        if check and stale:
            raise CommandError(f"{', '.join(map(str, stale))} stale: run manage.py masa_generate")
