"""Channel kinds, one module each (as django-anymail's backends), loaded by dotted path.

``MASA["CHANNEL_BACKENDS"]`` maps a kind to its backend class (default: email, sms, webhook,
whatsapp below). A backend describes itself (``kind``, ``label``, ``description``, its ``providers`` with
their settings (``setup``), ``address_field``, ``url_fields``, ``tracks_text_links``), so a new
kind is one module plus a line in that setting:
no migration, no special case elsewhere (docs/architecture.md, "Add a channel kind").
"""
from __future__ import annotations

from functools import lru_cache

from django.utils.module_loading import import_string

from .. import conf
from ..models import Channel
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError

DEFAULT_BACKENDS = {
    "email": "masa.channels.email.EmailChannel",
    "sms": "masa.channels.sms.SmsChannel",
    "webhook": "masa.channels.webhook.WebhookChannel",
    "whatsapp": "masa.channels.whatsapp.WhatsAppChannel",
}

__all__ = [
    "ChannelBackend", "OutgoingMessage", "PermanentChannelError", "SendResult", "TransientChannelError",
    "backend_class", "backend_for", "backends", "kind_choices",
]


@lru_cache(maxsize=8)
def _load(paths: tuple) -> dict[str, type[ChannelBackend]]:
    loaded = {}
    for kind, path in paths:
        backend = import_string(path)
        if not (isinstance(backend, type) and issubclass(backend, ChannelBackend)) or backend.kind != kind:
            raise TypeError(f"MASA['CHANNEL_BACKENDS'][{kind!r}] = {path!r} is not a ChannelBackend of kind {kind!r}")
        loaded[kind] = backend
    return loaded


def backends() -> dict[str, type[ChannelBackend]]:
    """Kind → backend class, as configured."""
    return _load(tuple(sorted((conf.get("CHANNEL_BACKENDS") or DEFAULT_BACKENDS).items())))


def backend_class(kind: str) -> type[ChannelBackend] | None:
    return backends().get(kind)


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, backend.label) for kind, backend in backends().items()]


def backend_for(channel: Channel) -> ChannelBackend:
    backend = backend_class(channel.kind)
    if backend is None:
        raise PermanentChannelError(f"no channel backend for kind {channel.kind!r} (MASA['CHANNEL_BACKENDS'])")
    return backend(channel)
