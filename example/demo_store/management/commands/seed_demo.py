"""Seed the demo: an admin login, an email channel, message templates and three rules."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from masa.models import Channel, MessageTemplate, Rule

from ...catalogue import RULES, TEMPLATES
from ...keys import demo_signer


class Command(BaseCommand):
    help = "Create the demo's admin user, channel, templates and rules (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "masa-demo")
        Channel.objects.update_or_create(name="Shop email", defaults={
            "kind": Channel.Kind.EMAIL, "config": {"from_email": "care@demo-shop.example"}})
        for template in TEMPLATES:
            MessageTemplate.objects.update_or_create(key=template["key"], locale="", defaults=template)
        for rule in RULES:
            Rule.objects.update_or_create(rule_id=rule["rule_id"], defaults=rule)
        demo_signer()
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {len(RULES)} rules, {len(TEMPLATES)} templates, 1 email channel; admin login: admin / masa-demo"))
