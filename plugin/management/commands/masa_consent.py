"""Marketing consent per channel, after the fact: ``--earlier-covers sms,whatsapp`` says the shop's
consent from before consent per channel covered those channels too (as
``MASA["EARLIER_CONSENT_COVERS"]`` did when 0.1's migration 0023 ran)."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ... import consent

NAMES = {"sms": "SMS", "whatsapp": "WhatsApp"}


class Command(BaseCommand):
    help = ("Give SMS and/or WhatsApp marketing consent to customers whose e-mail consent came before consent "
            "per channel, when the shop's earlier consent covered those channels.")

    def add_arguments(self, parser):
        parser.add_argument("--earlier-covers", required=True, metavar="sms,whatsapp",
                            help="The channels the earlier consent covered: sms, whatsapp or both (comma-separated)")
        parser.add_argument("--dry-run", action="store_true", help="Say how many would be given; change nothing")

    def handle(self, *args, earlier_covers="", dry_run=False, **options):
        kinds = [kind.strip().lower() for kind in earlier_covers.split(",") if kind.strip()]
        wrong = [kind for kind in kinds if kind not in consent.BY_PHONE]
        if not kinds or wrong:
            raise CommandError(f"--earlier-covers names sms, whatsapp or both (comma-separated), not {earlier_covers!r}")
        with transaction.atomic():
            for kind in dict.fromkeys(kinds):
                count = consent.earlier_covers(kind, dry_run=dry_run)
                people = "1 customer" if count == 1 else f"{count} customers"
                if dry_run:
                    self.stdout.write(f"Would give {NAMES[kind]} marketing consent to {people} whose e-mail consent "
                                      f"came earlier (nothing changed: --dry-run).")
                else:
                    self.stdout.write(f"Gave {NAMES[kind]} marketing consent to {people} whose e-mail consent came "
                                      f"earlier, dated as their e-mail consent.")
