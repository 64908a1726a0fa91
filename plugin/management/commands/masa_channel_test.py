"""Send a test message through one channel, now, outside any rule: does the channel work?"""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...channels import OutgoingMessage, PermanentChannelError, TransientChannelError, backend_for
from ...models import Channel


class Command(BaseCommand):
    help = "Send a test message through a channel and record the outcome on the channel's health."

    def add_arguments(self, parser):
        parser.add_argument("channel", help="the channel's name")
        parser.add_argument("--to", required=True, help="address: an e-mail, a phone number, or anything for a webhook")
        parser.add_argument("--text", default="Test message from Masa: this channel works.")

    def handle(self, *args, channel, to, text, **options):
        found = Channel.objects.filter(name=channel).first()
        if found is None:
            raise CommandError(f"no channel named {channel!r}; there are: "
                               f"{', '.join(Channel.objects.values_list('name', flat=True)) or 'none'}")
        now = timezone.now()
        try:
            result = backend_for(found).send(OutgoingMessage(to=to, subject="Masa test message", body=text))
        except (TransientChannelError, PermanentChannelError) as error:
            Channel.objects.filter(pk=found.pk).update(last_error_at=now, last_error=f"test send: {error}")
            kind = "temporary" if isinstance(error, TransientChannelError) else "permanent"
            raise CommandError(f"{found.name}: {kind} failure: {error}") from error
        Channel.objects.filter(pk=found.pk).update(last_success_at=now)
        self.stdout.write(f"{found.name}: sent to {to} (provider id {result.provider_message_id or '-'})")
