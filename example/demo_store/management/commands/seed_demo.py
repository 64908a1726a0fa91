"""Seed the demo: an admin login, a Journeys editor and viewer, an email channel and the
senior-care rule pack."""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from masa.admin.permissions import EDITORS, VIEWERS
from masa.models import Channel
from masa.packs import load_pack_file
from masa.packs.installer import import_pack

from ...keys import demo_signer

PACK = Path(__file__).resolve().parents[4] / "packs" / "senior-care" / "pack.yaml"


class Command(BaseCommand):
    help = "Create the demo's admin user and email channel and import the senior-care pack (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "masa-demo")
        for username, group in (("editor", EDITORS), ("viewer", VIEWERS)):
            if not User.objects.filter(username=username).exists():
                User.objects.create_user(username, f"{username}@example.com", "masa-demo").groups.add(
                    Group.objects.get(name=group))
        Channel.objects.update_or_create(name="Shop email", defaults={
            "kind": Channel.Kind.EMAIL, "config": {"from_email": "care@demo-shop.example"}})
        report = import_pack(load_pack_file(PACK))
        demo_signer()
        self.stdout.write(self.style.SUCCESS(
            f"{report}\nAdmin login: admin / masa-demo (also editor / masa-demo and viewer / masa-demo)"))
