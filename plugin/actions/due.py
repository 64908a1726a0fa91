"""Due actions: claim them, re-check their guards, perform them, and record what became of them.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` so sweeps running at once never take the same
row; a claim older than the lease (a worker died) is taken again. What an action does is its
kind's performer (``perform.PERFORMERS``); this module decides its status: done, cancelled (a
guard failed), deferred (caps, quiet hours, an open circuit), retried with backoff, or failed.
"""
from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import conf, metrics
from ..models import ScheduledAction
from . import abandonment
from .outcome import DEFERRED, DONE, FAILED, RETRY, SKIPPED, Outcome
from .guards import failed_guard, marketing_if_broadcast
from .perform import PERFORMERS

log = logging.getLogger(__name__)
Status = ScheduledAction.Status


def claim_due(now=None, limit: int | None = None) -> list[int]:
    """Claim up to ``limit`` due actions (and stale claims) for this worker; return their ids."""
    now = now or timezone.now()
    limit = limit or conf.get("SWEEP_BATCH_SIZE")
    stale = now - timedelta(seconds=conf.seconds("CLAIM_LEASE"))
    with transaction.atomic():
        due = list(
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        room = limit - len(due)
        if room > 0:
            due += list(
                ScheduledAction.objects.select_for_update(skip_locked=True)
                .filter(status=Status.CLAIMED, claimed_at__lt=stale)
                .order_by("claimed_at")
                .values_list("pk", flat=True)[:room]
            )
        ScheduledAction.objects.filter(pk__in=due).update(status=Status.CLAIMED, claimed_at=now)
    return due


def never() -> bool:
    return False


def sweep(now=None, limit: int | None = None, stopped=never) -> dict:
    """Claim the due actions and dispatch them one by one; returns counts by outcome. Once
    ``stopped()`` says so (a worker asked to stop), the claimed ones not yet started are handed
    back, pending, for any worker; so are they when a dispatch is interrupted (a BaseException:
    the worker stopping at once), while the one cut short waits for its lease."""
    counts: dict[str, int] = {}
    claimed = claim_due(now, limit)
    for done, action_id in enumerate(claimed):
        if stopped():
            release(claimed[done:])
            break
        try:
            outcome = str(dispatch(action_id, now=now))
        except BaseException:
            release_if_possible(claimed[done + 1:])
            raise
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def release(action_ids: list[int]) -> int:
    """Hand claimed actions back (pending, unclaimed) so that the next worker performs them at once."""
    return ScheduledAction.objects.filter(pk__in=action_ids, status=Status.CLAIMED).update(
        status=Status.PENDING, claimed_at=None)


def release_if_possible(action_ids: list[int]) -> None:
    """``release`` while a dispatch is being interrupted: the connection may have been cut mid-query."""
    try:
        release(action_ids)
    except Exception:  # noqa: BLE001 - they are claimed again after their lease
        log.warning("%d claimed actions wait for their lease", len(action_ids), exc_info=True)


def dispatch(action_id: int, now=None) -> str:
    """Perform one claimed action; returns what became of it (done, cancelled, deferred, retry, failed)."""
    now = now or timezone.now()
    action = ScheduledAction.objects.select_related("rule", "customer", "event").get(pk=action_id)
    if action.status != Status.CLAIMED:
        return "skipped"
    marketing_if_broadcast(action)
    reason = failed_guard(action)
    code = reason.code if reason else ""
    if action.kind == abandonment.KIND and not reason:
        reason, code = abandonment.confirmation_failure(action), "cart_not_abandoned"
    if reason:
        return _counted(action, finish(action, Status.CANCELLED, now, cancel_reason=reason), code)
    outcome = PERFORMERS[action.kind](action, now)
    return _counted(action, record(action, outcome, now), "skipped" if outcome.status == SKIPPED else "")


def _counted(action: ScheduledAction, status: str, cancel_code: str) -> str:
    """Count what became of a due action (``masa_actions_total``; a cancellation by its code and,
    for a send, the channel its step names)."""
    channel = slugify(str(action.params.get("channel") or ""))[:48] if action.kind == "send" else ""
    metrics.action_finished(action.kind, str(status), cancel_code if status == Status.CANCELLED else "", channel)
    return status


def record(action: ScheduledAction, outcome: Outcome, now) -> str:
    """Write what a performer reported onto the action."""
    attempts = {"attempts": action.attempts + 1} if outcome.tried else {}
    if outcome.status == DONE:
        note = {"outcome": outcome.note} if outcome.note else {}
        return finish(action, Status.DONE, outcome.at or now, **attempts, **note)
    if outcome.status == FAILED:
        return finish(action, Status.FAILED, now, last_error=outcome.error, **attempts)
    if outcome.status == DEFERRED:
        return defer(action, outcome.until, outcome.error)
    if outcome.status == RETRY:
        return reschedule_or_fail(action, now, outcome.error)
    if outcome.status == SKIPPED:
        return finish(action, Status.CANCELLED, now, cancel_reason=outcome.error)
    raise ValueError(f"unknown outcome {outcome.status!r}")


def finish(action: ScheduledAction, status: str, now, **fields) -> str:
    ScheduledAction.objects.filter(pk=action.pk).update(status=status, completed_at=now, **fields)
    return status


def defer(action: ScheduledAction, until, reason: str) -> str:
    ScheduledAction.objects.filter(pk=action.pk).update(
        status=Status.PENDING, claimed_at=None, due_at=until,
        outcome=f"deferred to {until:%Y-%m-%d %H:%M %Z}: {reason}",
    )
    return "deferred"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: base · 2^(attempts-1), randomized down to half."""
    ceiling = conf.seconds("SEND_RETRY_BASE") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def reschedule_or_fail(action: ScheduledAction, now, error: str) -> str:
    """Try the action again after a backoff, or fail it once SEND_MAX_ATTEMPTS is reached."""
    attempts = action.attempts + 1
    if attempts >= conf.get("SEND_MAX_ATTEMPTS"):
        return finish(action, Status.FAILED, now, attempts=attempts, last_error=f"gave up after {attempts} attempts: {error}")
    ScheduledAction.objects.filter(pk=action.pk).update(
        status=Status.PENDING, attempts=attempts, last_error=error, claimed_at=None,
        due_at=now + retry_delay(attempts),
    )
    return "retry"
