"""First run: an email channel on the site's EMAIL_BACKEND if there is no channel yet, then what
the first-run check says is still missing."""
from django.conf import settings
from django.core.management.base import BaseCommand

from ...checks import missing
from ...models import Channel


class Command(BaseCommand):
    help = "Create an email channel (the site's EMAIL_BACKEND) if there is none, and say what else is missing."

    def handle(self, *args, **options):
        if not Channel.objects.exists():
            Channel.objects.create(name="Email", kind=Channel.Kind.EMAIL,
                                   config={"from_email": settings.DEFAULT_FROM_EMAIL})
            self.stdout.write(f"created the channel 'Email' (the site's EMAIL_BACKEND, from {settings.DEFAULT_FROM_EMAIL})")
        for _, message, hint in missing():
            self.stdout.write(f"- {message} {hint}")
        if not missing():
            self.stdout.write("Masa is set up.")
