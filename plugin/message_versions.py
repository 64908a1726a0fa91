"""A message's versions per channel kind: its SMS or WhatsApp text beside the email's.

A message is the ``MessageTemplate`` rows sharing a ``key``, one per (``locale``, ``channel_kind``).
Its *main version* is its rows with an empty ``channel_kind`` (for any channel) when it has any;
otherwise the rows of its *declared channel*: the kind of its first-saved row (the lowest id — a
pack's ``channel:``, written before its ``channels:``; the kind an owner gave a new message before
adding versions). Every other kind's rows are *that kind's version* (a pack's ``channels: {sms: …}``,
the editor's "SMS version").

A send over a channel of kind K takes K's version when the message has one, in the customer's
locale, else its language, else K's default text; else the main version, with the same fallback
(``rendering.find_template``). Shared by rendering, the packs and the admin (a top-level module:
none of them reaches into another's room for it).
"""
from __future__ import annotations

from .models import Channel, MessageTemplate

KINDS = (Channel.Kind.EMAIL, Channel.Kind.SMS, Channel.Kind.WHATSAPP, Channel.Kind.WEBHOOK)
TEMPLATE_KINDS = (Channel.Kind.WHATSAPP,)   # kinds whose version may name a provider's approved template


def main_kind(rows) -> str | None:
    """The kind of a message's main version ("" for any channel), given its rows; None without rows."""
    rows = list(rows)
    if not rows:
        return None
    if any(row.channel_kind == "" for row in rows):
        return ""
    return min(rows, key=lambda row: (row.pk is None, row.pk or 0)).channel_kind


def kinds_of(key: str) -> list[str]:
    """The message's kinds, the main version's first, then its versions' in ``KINDS`` order."""
    rows = list(MessageTemplate.objects.filter(key=key).only("pk", "channel_kind"))
    main = main_kind(rows)
    if main is None:
        return []
    others = {row.channel_kind for row in rows} - {main}
    return [main, *sorted(others, key=lambda kind: (KINDS.index(kind) if kind in KINDS else len(KINDS), kind))]


def pick(rows, locale: str = "", channel_kind: str = ""):
    """The row a send over ``channel_kind`` takes for ``locale`` (see the module), or None."""
    rows = list(rows)
    main = main_kind(rows)
    if main is None:
        return None
    language = (locale or "").split("-", 1)[0]

    def in_kind(kind):
        candidates = {row.locale: row for row in rows if row.channel_kind == kind}
        return candidates.get(locale) or candidates.get(language) or candidates.get("")

    return (in_kind(channel_kind) if channel_kind and channel_kind != main else None) or in_kind(main)


def step_kind(params: dict, choice: dict | None = None) -> str:
    """The channel kind a send step goes through, for showing what it sends (a timeline, a
    rehearsal): the kind chosen for a ``preferred`` send, else its named channel's (or the first
    of its ``channels``), else "" (the main version)."""
    if choice and choice.get("kind"):
        return str(choice["kind"])
    params = params or {}
    name = params.get("channel") or ""
    if name == "preferred":
        name = next(iter(params.get("channels") or []), "")
    channel = Channel.objects.filter(enabled=True, name=name).first() if name else None
    if channel is not None:
        return channel.kind
    return name if name in KINDS else ""
