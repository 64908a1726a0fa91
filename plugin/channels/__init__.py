"""Channel kinds, one module each (as django-anymail's backends)."""
from ..models import Channel
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from .email import EmailChannel

BACKENDS: dict[str, type[ChannelBackend]] = {Channel.Kind.EMAIL: EmailChannel}

__all__ = [
    "BACKENDS", "ChannelBackend", "OutgoingMessage", "PermanentChannelError", "SendResult",
    "TransientChannelError", "backend_for",
]


def backend_for(channel: Channel) -> ChannelBackend:
    return BACKENDS[channel.kind](channel)
