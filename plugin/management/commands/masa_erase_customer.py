"""Erase everything Masa knows about one customer (GDPR), found by email or store id."""
from django.core.management.base import BaseCommand, CommandError

from ...models import Customer
from ...privacy import erase_customer
from ...stores import store_key


class Command(BaseCommand):
    help = "Erase a customer's facts, events, messages and notes, and blank the webhook bodies that carried them."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--store-id")
        parser.add_argument("--store", help="Only the customer of this Saleor store (its domain); several stores "
                                            "may each have a User:1 or the same email")

    def handle(self, *args, email=None, store_id=None, store=None, **options):
        customers = Customer.objects.filter(email__iexact=email) if email else Customer.objects.filter(store_id=store_id)
        if store is not None:
            customers = customers.filter(store=store_key(store))
        if not customers.exists():
            raise CommandError("no such customer")
        for customer in customers:
            erased = erase_customer(customer, by="manage.py masa_erase_customer")
            self.stdout.write(f"erased customer #{erased.customer_id}: {erased.events} events, {erased.messages} "
                              f"messages, {erased.actions} actions, {erased.firings} firings, {erased.notes} notes, "
                              f"{erased.webhook_bodies} webhook bodies blanked")
