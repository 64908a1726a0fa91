"""Play the demo store: post signed Saleor webhooks over HTTP to the running site, then report."""
import itertools
import json
import time

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from masa.models import ScheduledAction, StoreEvent

from ...catalogue import CUSTOMERS, ORDERS, customer_payload, order_payload
from ...keys import demo_signer


class Command(BaseCommand):
    help = "Send the demo store's customers and orders as signed Saleor webhooks to a running Masa site."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running site")

    def handle(self, *args, url, **options):
        store = settings.MASA["SALEOR_STORES"][0]
        signer = demo_signer()
        webhook = f"{url.rstrip('/')}/masa/webhooks/saleor/"
        users = {user["id"]: user for user in CUSTOMERS}
        first_number = 7000 + int(time.time()) % 100000 * 10
        deliveries = [("customer_created", customer_payload(user)) for user in CUSTOMERS]
        deliveries += [
            ("order_created", order_payload(number, users[user_id], items))
            for number, (user_id, items) in zip(itertools.count(first_number), ORDERS)
        ]
        deliveries.append(deliveries[-1])
        with httpx.Client(timeout=10) as client:
            for event, payload in deliveries:
                body = json.dumps(payload).encode()
                try:
                    response = client.post(webhook, content=body,
                                           headers=signer.headers(event, body, store["domain"], store["api_url"]))
                except httpx.HTTPError as error:
                    raise CommandError(f"could not reach {webhook}: {error}") from error
                self.stdout.write(f"  {event:<18} → {response.status_code} {response.text}")
        time.sleep(1)
        self._report()

    def _report(self):
        self.stdout.write(f"\nEvents stored: {StoreEvent.objects.count()} "
                          f"({StoreEvent.objects.filter(status='processed').count()} evaluated)")
        self.stdout.write("Scheduled actions:")
        now = timezone.now()
        for action in ScheduledAction.objects.select_related("rule", "customer").order_by("due_at"):
            left = action.due_at - now
            when = "due now" if left.total_seconds() <= 0 else f"in {_human(left)}"
            what = action.params.get("template") or f"{action.kind} {action.params.get('fact', '')}".strip()
            self.stdout.write(f"  {action.rule.rule_id:<30} {action.customer.email:<26} "
                              f"{what:<26} {when:<12} {action.status}")


def _human(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 60}m {seconds % 60}s"
