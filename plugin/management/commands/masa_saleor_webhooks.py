"""Register Masa's webhooks in a Saleor (``webhookCreate`` with Masa's subscription queries), or
update them when the app has them already: running it twice leaves one set."""
from django.core.management.base import BaseCommand, CommandError

from ...saleor import SaleorClient, SaleorError
from ...saleor.webhooks import planned_webhooks, register


class Command(BaseCommand):
    help = "Create Masa's order, checkout and customer webhooks in a Saleor, authenticated as an app."

    def add_arguments(self, parser):
        parser.add_argument("--api-url", required=True, help="the Saleor GraphQL endpoint, e.g. https://shop/graphql/")
        parser.add_argument("--token", required=True, help="the app token (MANAGE_APPS or the app's own)")
        parser.add_argument("--target-url", required=True, help="this site's /masa/webhooks/saleor/ URL")
        parser.add_argument("--dry-run", action="store_true", help="print what would be created")

    def handle(self, *args, api_url, token, target_url, dry_run, **options):
        if dry_run:
            for webhook in planned_webhooks(target_url):
                self.stdout.write(f"{webhook['name']}: {', '.join(webhook['events'])} → {target_url}")
            return
        try:
            with self.client(api_url, token) as client:
                created = register(client, target_url)
        except SaleorError as error:
            raise CommandError(str(error)) from error
        for webhook in created:
            self.stdout.write(f"{webhook['action']} {webhook['name']} ({webhook['id']}, active: {webhook['isActive']})")

    @staticmethod
    def client(api_url: str, token: str) -> SaleorClient:
        return SaleorClient(api_url, token)
