"""What every channel module provides. Channels deliver; they never decide whether to."""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..models import Channel
from .setup import Provider, custom_provider


class TransientChannelError(Exception):
    """Worth retrying later (a 5xx, a timeout, a connection refused)."""


class PermanentChannelError(Exception):
    """Retrying will not help (a 4xx, a malformed address)."""


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    subject: str
    body: str
    html_body: str = ""
    headers: dict | None = None
    key: str = ""
    provider_template: dict | None = None  # an approved template: name, language, parameters (WhatsApp)
    window_open: bool = False  # the customer wrote on WhatsApp within 24 hours: free text may go

    @property
    def stable_id(self) -> str:
        """An id derived from the Delivery's idempotency key: the same message sent again (after a
        worker died between the provider's answer and the commit) carries the same id, so providers
        and receivers that deduplicate by it deliver it once."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:32] if self.key else ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    response: str = ""


class ChannelBackend(ABC):
    """A channel kind. Subclasses say what they are; ``send`` delivers (it never decides whether to)."""

    kind = ""                  # what Channel.kind names (the key in MASA["CHANNEL_BACKENDS"])
    label = ""                 # what the admin calls it
    description = ""           # a line saying what it is for, where the owner chooses a kind
    providers: tuple[Provider, ...] = ()  # the ways it delivers, each with its labelled settings (``setup``)
    config_defaults: dict = {}  # what an absent config entry means (which provider, for one)
    address_field = "email"    # the Customer field it sends to
    url_fields: tuple = ()     # config fields holding URLs it calls (checked by ``safety``)
    tracks_text_links = False  # the text body's links become click redirects (SMS)

    @classmethod
    def problems(cls, config: dict, secrets: dict) -> list[str]:
        """What is wrong with a channel's settings, for the form that saves it (none by default)."""
        return []

    @classmethod
    def available_providers(cls) -> tuple[Provider, ...]:
        """The providers the owner may choose (all declared ones, unless the site restricts them)."""
        return cls.providers

    @classmethod
    def provider_for(cls, config: dict) -> Provider:
        """The provider a channel's config uses; settings no provider recognises stay as written."""
        config = {**cls.config_defaults, **(config or {})}
        found = next((p for p in cls.providers if p.matches(config)), None)
        return found or custom_provider({k: config[k] for p in cls.providers for k in p.marks if k in config})

    @classmethod
    def provider_named(cls, key: str) -> Provider | None:
        return next((p for p in cls.available_providers() if p.key == key), None)

    def __init__(self, channel: Channel):
        self.channel = channel

    def open(self) -> None:
        """Get ready to send several messages (a kind that holds a connection opens it here and keeps
        it until ``close``); by default nothing: each ``send`` stands alone."""

    def close(self) -> None:
        """Let go of what ``open`` holds."""

    def test_message(self, to: str, text: str, subject: str = "", html_body: str = "") -> OutgoingMessage:
        """What a test send through this channel is (a kind that cannot start with free text says otherwise)."""
        return OutgoingMessage(to=to, subject=subject, body=text, html_body=html_body)

    @abstractmethod
    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message to the provider; raise Transient/PermanentChannelError on failure."""
