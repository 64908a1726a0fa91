"""Send a test message through one channel, now, outside any rule: does the channel work?"""
from django.core.management.base import BaseCommand, CommandError

from ...channels.probe import DEFAULT_TEXT, ProbeFailed, probe_channel
from ...models import Channel


class Command(BaseCommand):
    help = "Send a test message through a channel and record the outcome on the channel's health."

    def add_arguments(self, parser):
        parser.add_argument("channel", help="the channel's name")
        parser.add_argument("--to", required=True, help="address: an e-mail, a phone number, or anything for a webhook")
        parser.add_argument("--text", default=DEFAULT_TEXT)

    def handle(self, *args, channel, to, text, **options):
        found = Channel.objects.filter(name=channel).first()
        if found is None:
            raise CommandError(f"no channel named {channel!r}; there are: "
                               f"{', '.join(Channel.objects.values_list('name', flat=True)) or 'none'}")
        try:
            result = probe_channel(found, to, text)
        except ProbeFailed as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{found.name}: sent to {to} (provider id {result.provider_message_id or '-'})")
