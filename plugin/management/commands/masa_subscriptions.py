"""Write plugin/saleor/graphql/subscription_*.graphql from the Saleor event declarations
(``masa.signals.normalize.SALEOR_EVENTS``, ``make subscriptions``): after declaring a Saleor event."""
from django.core.management.base import BaseCommand, CommandError

from ...saleor.client import DOCUMENTS
from ...signals.normalize import subscription_documents


class Command(BaseCommand):
    help = "Write Masa's Saleor subscription queries from the Saleor event declarations."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only say whether the committed files are current")

    def handle(self, *args, check=False, **options):
        stale = []
        for name, text in subscription_documents(DOCUMENTS).items():
            path = DOCUMENTS / f"{name}.graphql"
            current = path.exists() and path.read_text() == text
            if not current and not check:
                path.write_text(text)
            stale += [] if current else [path]
            self.stdout.write(f"{'unchanged:' if current else 'stale:' if check else 'wrote'} {path}")
        if check and stale:
            raise CommandError(f"{', '.join(map(str, stale))} stale: run make subscriptions")
