"""Channel kinds, one module each (as django-anymail's backends)."""
from ..models import Channel
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from .email import EmailChannel
from .sms import SmsChannel
from .webhook import WebhookChannel

BACKENDS: dict[str, type[ChannelBackend]] = {
    Channel.Kind.EMAIL: EmailChannel,
    Channel.Kind.SMS: SmsChannel,
    Channel.Kind.WEBHOOK: WebhookChannel,
}

__all__ = [
    "BACKENDS", "ChannelBackend", "OutgoingMessage", "PermanentChannelError", "SendResult",
    "TransientChannelError", "backend_for",
]


def backend_for(channel: Channel) -> ChannelBackend:
    return BACKENDS[channel.kind](channel)
