"""Wake a Celery task once, however many commits ask for it while it waits in the queue.

Intake and the event store ask for a task after every commit (read what was stored, evaluate what
waits). Publishing one per delivery makes the broker and the workers carry one task per delivery,
most of which find their work already done by another. Instead a flag in the shared cache says "a
task of this name is queued and has not started": ``wake`` publishes only when it sets the flag,
and the task clears it first thing (``started``), before it looks for work. So every commit either
finds a queued task that has not looked yet (and will see the commit) or publishes one; nothing is
left waiting for a task that already looked.

The flag lasts ``FLAG_SECONDS``, so a task lost with the broker holds nothing back for longer; a
queued task that waits longer than that (every worker busy) lets one more be published, which
finds little to do. A cache each process keeps to itself (locmem, dummy) cannot tell what another
process queued: with it, and when the cache is down, every wake publishes.
"""
from __future__ import annotations

import logging

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

log = logging.getLogger(__name__)
FLAG_SECONDS = 2


def _shared_cache():
    cache = caches["default"]
    return None if isinstance(cache, (LocMemCache, DummyCache)) else cache


def _flag(task) -> str:
    return f"masa:queued:{task.name}"


def wake(task) -> bool:
    """Publish ``task`` (no arguments) unless one is queued and has not started; True when
    published. A broker that refuses raises, with the flag taken back."""
    cache = _shared_cache()
    flagged = False
    if cache is not None:
        try:
            if not cache.add(_flag(task), 1, timeout=FLAG_SECONDS):
                return False
            flagged = True
        except Exception:  # noqa: BLE001 - a cache that is down must not stop the wake-up
            log.debug("The cache did not answer; publishing %s", task.name, exc_info=True)
    try:
        task.apply_async()
    except Exception:
        if flagged:
            started(task)
        raise
    return True


def started(task) -> None:
    """Called by ``task`` before it looks for work: the next commit publishes another."""
    cache = _shared_cache()
    if cache is None:
        return
    try:
        cache.delete(_flag(task))
    except Exception:  # noqa: BLE001 - the flag ends by itself within FLAG_SECONDS
        log.debug("The cache did not answer; %s's flag ends by itself", task.name, exc_info=True)
