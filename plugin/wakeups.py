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
finds little to do. A broker that refuses is asked once (no retries: a webhook's answer must not
wait on it) and the flag is kept, so it is asked again only after ``FLAG_SECONDS``; beat's
schedule covers the gap. A cache each process keeps to itself (locmem, dummy) cannot tell what
another process queued: with it, and when the cache is down, every wake publishes. The flag's key
names the site's database, so two sites sharing one Redis database do not silence each other.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

log = logging.getLogger(__name__)
FLAG_SECONDS = 2
EXPIRES_SECONDS = 300  # a wake-up nobody consumed for this long is dropped by the worker that finds it


def _shared_cache():
    cache = caches["default"]
    return None if isinstance(cache, (LocMemCache, DummyCache)) else cache


def _flag(task) -> str:
    database = settings.DATABASES["default"]
    return f"masa:queued:{database.get('HOST', '')}/{database['NAME']}:{task.name}"


def wake(task) -> bool:
    """Publish ``task`` (no arguments) unless one is queued and has not started; True when
    published. A broker that refuses raises at once, the flag kept until it ends."""
    cache = _shared_cache()
    if cache is not None:
        try:
            if not cache.add(_flag(task), 1, timeout=FLAG_SECONDS):
                return False
        except Exception:  # noqa: BLE001 - a cache that is down must not stop the wake-up
            log.debug("The cache did not answer; publishing %s", task.name, exc_info=True)
    task.apply_async(retry=False, expires=EXPIRES_SECONDS)
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
