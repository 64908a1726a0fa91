"""A test message through one channel, now, outside any rule: does the channel work?

The outcome is recorded on the channel's health (last success / last error), as real sends do.
``probe_channel`` sends the channel's own test (what its backend says a test is: WhatsApp's
approved test template); ``send_test_message`` sends a given message (a message's test from its
editor; ``provider_template``: the approved template its WhatsApp version names, rendered).
"""
from __future__ import annotations

from django.utils import timezone

from ..models import Channel
from . import OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError, backend_for

DEFAULT_TEXT = "Test message from Masa: this channel works."


class ProbeFailed(Exception):
    def __init__(self, channel: Channel, kind: str, error: Exception):
        super().__init__(f"{channel.name}: {kind} failure: {error}")


def probe_channel(channel: Channel, to: str, text: str = DEFAULT_TEXT,
                  subject: str = "Masa test message") -> SendResult:
    def send():
        backend = backend_for(channel)
        return backend.send(backend.test_message(to, text, subject=subject))
    return _probe(channel, send)


def send_test_message(channel: Channel, to: str, text: str = DEFAULT_TEXT, subject: str = "Masa test message",
                      html_body: str = "", provider_template: dict | None = None) -> SendResult:
    message = OutgoingMessage(to=to, subject=subject, body=text, html_body=html_body,
                              provider_template=provider_template or None)
    return _probe(channel, lambda: backend_for(channel).send(message))


def _probe(channel: Channel, send) -> SendResult:
    now = timezone.now()
    try:
        result = send()
    except (TransientChannelError, PermanentChannelError) as error:
        Channel.objects.filter(pk=channel.pk).update(last_error_at=now, last_error=f"test send: {error}")
        raise ProbeFailed(channel, "temporary" if isinstance(error, TransientChannelError) else "permanent",
                          error) from error
    Channel.objects.filter(pk=channel.pk).update(last_success_at=now)
    return result
