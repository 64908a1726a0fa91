"""A rehearsal: the live path — evaluation, scheduled actions, guards, consent, caps, quiet
hours, rendering, the Delivery and its ``message_sent`` — with nothing leaving Masa: no message
is handed to a channel, no voucher or metadata is written to Saleor.

Scenarios (``packs.scenarios``), ``masa_pack simulate`` and a customer's forecast run in one,
inside a database transaction they roll back. The few places that would reach outside ask
``active()``: delivery (the channel), the voucher a send offers, ``sync_to_saleor``.
"""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

NOT_SENT = "rehearsal: not handed to the channel"
_active: ContextVar[bool] = ContextVar("masa_rehearsal", default=False)
log = logging.getLogger(__name__)
# How long a playing rehearsal holds the site's turn without renewing it (a crashed process's
# turn ends then); a simulation renews it as it reports progress.
TURN_SECONDS = 900


class Busy(Exception):
    """Another simulation or forecast is playing on this site: one at a time."""

    def __init__(self):
        super().__init__(_("Another simulation or forecast is playing now: only one runs at a time. "
                           "Try again when it has finished."))


def _turn_key() -> str:
    return f"masa:rehearsal-turn:{connection.vendor}:{connection.settings_dict.get('NAME')}"


@contextmanager
def one_at_a_time(wait: float = 0, waiting=None):
    """The site's one turn to play a copying rehearsal (a simulation, a forecast), held in the
    cache: on SQLite a rehearsal holds the database's write lock while it plays, on PostgreSQL it
    copies tables, so two at once must not happen. Waits up to ``wait`` seconds for the turn
    (calling ``waiting()`` meanwhile, which may raise to stop), then raises ``Busy``. Yields a
    function that renews the turn. If the cache is down the rehearsal plays (as rate limits do)."""
    key, token = _turn_key(), uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while True:
        try:
            if cache.add(key, token, timeout=TURN_SECONDS):
                break
        except Exception:  # noqa: BLE001 - the cache being down must not stop the admin
            log.warning("Rehearsal turn store unavailable; playing without it", exc_info=True)
            token = None
            break
        if time.monotonic() >= deadline:
            raise Busy
        if waiting is not None:
            waiting()
        time.sleep(0.2)

    def renew() -> None:
        if token is not None:
            try:
                cache.touch(key, TURN_SECONDS)
            except Exception:  # noqa: BLE001
                log.warning("Rehearsal turn store unavailable", exc_info=True)

    try:
        yield renew
    finally:
        if token is not None:
            try:
                if cache.get(key) == token:
                    cache.delete(key)
            except Exception:  # noqa: BLE001
                log.warning("Rehearsal turn store unavailable; the turn ends by itself", exc_info=True)


@contextmanager
def rehearsing():
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def active() -> bool:
    return _active.get()
