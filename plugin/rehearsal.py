"""A rehearsal: the live path — evaluation, scheduled actions, guards, consent, caps, quiet
hours, rendering, the Delivery and its ``message_sent`` — with nothing leaving Masa: no message
is handed to a channel, no voucher or metadata is written to Saleor.

Scenarios (``packs.scenarios``), ``masa_pack simulate`` and a customer's forecast run in one,
inside a database transaction they roll back. The few places that would reach outside ask
``active()``: delivery (the channel), the voucher a send offers, ``sync_to_saleor``.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

NOT_SENT = "rehearsal: not handed to the channel"
_active: ContextVar[bool] = ContextVar("masa_rehearsal", default=False)


@contextmanager
def rehearsing():
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def active() -> bool:
    return _active.get()
