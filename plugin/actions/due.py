"""Due actions: claim them, re-check their guards, perform them, and record what became of them.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` so sweeps running at once never take the same
row; a claim older than the lease (a worker died) is taken again. What an action does is its
kind's performer (``perform.PERFORMERS``); this module decides its status: done, cancelled (a
guard failed), deferred (caps, quiet hours, an open circuit), retried with backoff, or failed.

A sweep works in batches (``BATCH``), each in rounds that hold at most one action per customer
(what one sends, the next one's caps and checks see). Each round reads its actions with their
rules, customers and events, and the channels, in one go, checks every action's guards on its own
(the marketing messages its customers already got, which the caps count, read once for the round:
``dosage.RecentSends``), records what is not a send, then sends its messages together
(``delivery.deliver_all``: stored together, sent through one connection, recorded together) until
``ROUND_SECONDS`` have passed; the sends not started by then are read and checked again in the next
round, so a change made while a round is sending is honoured within about a second.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from .. import conf, metrics
from ..models import ScheduledAction
from ..delivery import Routes, deliver_all
from . import abandonment, dosage
from .outcome import DEFERRED, DONE, FAILED, RETRY, SKIPPED, Outcome
from .guards import GuardFailure, failed_guard, marketing_if_broadcast
from .perform import MESSAGE_KINDS, PERFORMERS, check_message, delivered

log = logging.getLogger(__name__)
Status = ScheduledAction.Status
BATCH = 100  # due actions claimed and dispatched together
ROUND_SECONDS = 1.0  # a round stops starting sends after this; the rest are read and checked again


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
    """Claim the due actions and dispatch them, batch by batch; returns counts by outcome. Once
    ``stopped()`` says so (a worker asked to stop; asked between sends), the claimed ones not yet
    started are handed back, pending, for any worker; so are they when a dispatch is interrupted (a
    BaseException: the worker stopping at once), while a send cut short waits for its lease."""
    counts: dict[str, int] = {}
    claimed = claim_due(now, limit)
    started: set[int] = set()  # performed, sent, or decided: never handed back
    try:
        for first in range(0, len(claimed), BATCH):
            if stopped():
                break
            for status in dispatch_batch(claimed[first:first + BATCH], now, stopped, started).values():
                counts[status] = counts.get(status, 0) + 1
    except BaseException:
        release_if_possible([pk for pk in claimed if pk not in started])
        raise
    left = [pk for pk in claimed if pk not in started]
    if left:
        release(left)
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
    return dispatch_batch([action_id], now)[action_id]


def dispatch_batch(action_ids: list[int], now=None, stopped=never, started: set[int] | None = None) -> dict[int, str]:
    """Perform these claimed actions; returns what became of each one that was started (one not
    claimed any more: "skipped"). Those left out were not started (``stopped()`` said so before
    them): they are the caller's to hand back. ``started`` collects the ids
    performed, sent or decided."""
    started = set() if started is None else started
    statuses: dict[int, str] = {}
    waiting = list(action_ids)
    while waiting and not stopped():
        loaded = _load(waiting)
        for pk in waiting:
            if pk not in loaded:  # gone since the claim (its customer erased): nothing to do
                started.add(pk)
                statuses[pk] = "skipped"
        rounds = _rounds([loaded[pk] for pk in waiting if pk in loaded])
        if not rounds:
            break
        routes = Routes() if any(action.kind in MESSAGE_KINDS for action in rounds[0]) else None
        statuses.update(_dispatch_round(rounds[0], now or timezone.now(), stopped, started, routes,
                                        deadline=time.monotonic() + ROUND_SECONDS))
        waiting = [pk for pk in waiting if pk not in statuses]
    return statuses


def _load(action_ids: list[int]) -> dict[int, ScheduledAction]:
    """The actions with their rules, customers and events as they are now (each round reads them
    again: a consent withdrawn, a rule or channel turned off during the last round is seen)."""
    loaded = {action.pk: action for action in
              ScheduledAction.objects.select_related("rule", "customer", "event").filter(pk__in=action_ids)}
    rules: dict[int, object] = {}
    for action in loaded.values():  # one row per rule: what is read of it (its pack) is read once
        if action.rule_id is not None:
            action.rule = rules.setdefault(action.rule_id, action.rule)
    return loaded


def _rounds(actions: list[ScheduledAction]) -> list[list[ScheduledAction]]:
    """The actions in order, in rounds holding at most one action per customer."""
    rounds: list[list[ScheduledAction]] = []
    taken: list[set[int]] = []
    for action in actions:
        at = next((n for n, customers in enumerate(taken) if action.customer_id not in customers), len(rounds))
        if at == len(rounds):
            rounds.append([])
            taken.append(set())
        rounds[at].append(action)
        taken[at].add(action.customer_id)
    return rounds


def _dispatch_round(actions: list[ScheduledAction], now, stopped, started: set[int], routes,
                    deadline: float | None = None) -> dict[int, str]:
    """One round: each action's guards, then its work; the sends last, together, until ``deadline``
    (those not started by then are left out, to be read and checked again). What became of the
    actions that are not sends is written before any message goes."""
    statuses: dict[int, str] = {}
    writes = _Writes()
    sends = []
    recent = dosage.RecentSends([action.customer_id for action in actions if action.kind in MESSAGE_KINDS], now)
    for action in actions:
        if action.status != Status.CLAIMED:
            started.add(action.pk)
            statuses[action.pk] = "skipped"
            continue
        marketing_if_broadcast(action)
        reason = failed_guard(action, kind_of=routes.kind_of if routes is not None else None)
        code = reason.code if reason else ""
        if action.kind == abandonment.KIND and not reason:
            reason, code = abandonment.confirmation_failure(action), "cart_not_abandoned"
        if reason:
            writes.add(action, *_cancelled(now, reason), code)
            continue
        if action.kind in MESSAGE_KINDS:
            checked = check_message(action, now, routes, recent)
            if not isinstance(checked, Outcome):
                sends.append((action, checked))
                continue
            outcome = checked
        else:
            if stopped():
                continue
            started.add(action.pk)
            outcome = PERFORMERS[action.kind](action, now)
        writes.add(action, *record(action, outcome, now), "skipped" if outcome.status == SKIPPED else "")
    started.update(writes.actions)
    statuses.update(writes.write())
    writes = _Writes()
    reports = deliver_all(sends, now, stopped, started, deadline) if sends else {}
    for action, _ in sends:
        if action.pk in reports:
            writes.add(action, *record(action, delivered(reports[action.pk]), now), "")
        elif not stopped() and not _past(deadline):  # its channel's circuit opened in this round: it waits
            checked = check_message(action, now, routes, recent)
            if isinstance(checked, Outcome):
                writes.add(action, *record(action, checked, now), "skipped" if checked.status == SKIPPED else "")
    started.update(writes.actions)
    statuses.update(writes.write())
    return statuses


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


class _Writes:
    """What became of a round's actions, written in one transaction: one UPDATE per distinct set of
    fields (the sends done together are one), each action counted (``masa_actions_total``)."""

    def __init__(self):
        self.actions: dict[int, tuple[ScheduledAction, str, dict, str]] = {}

    def add(self, action: ScheduledAction, status: str, fields: dict, cancel_code: str) -> None:
        self.actions[action.pk] = (action, status, fields, cancel_code)

    def write(self) -> dict[int, str]:
        groups: dict[tuple, list[int]] = {}
        for pk, (_, _, fields, _) in self.actions.items():
            groups.setdefault(tuple((name, repr(value)) for name, value in fields.items()), []).append(pk)
        if groups:
            with transaction.atomic():
                for pks in groups.values():
                    ScheduledAction.objects.filter(pk__in=pks).update(**self.actions[pks[0]][2])
        return {pk: _counted(action, status, code) for pk, (action, status, _, code) in self.actions.items()}


def _cancelled(now, reason: GuardFailure | str) -> tuple[str, dict]:
    return Status.CANCELLED, {"status": Status.CANCELLED, "completed_at": now, "cancel_reason": str(reason)}


def _counted(action: ScheduledAction, status: str, cancel_code: str) -> str:
    """Count what became of a due action (``masa_actions_total``; a cancellation by its code and,
    for a send, the channel its step names)."""
    channel = slugify(str(action.params.get("channel") or ""))[:48] if action.kind == "send" else ""
    metrics.action_finished(action.kind, str(status), cancel_code if status == Status.CANCELLED else "", channel)
    return str(status)


def record(action: ScheduledAction, outcome: Outcome, now) -> tuple[str, dict]:
    """What a performer reported, as the action's status and the fields to write onto it."""
    attempts = {"attempts": F("attempts") + 1} if outcome.tried else {}
    if outcome.status == DONE:
        note = {"outcome": outcome.note} if outcome.note else {}
        return finish(Status.DONE, outcome.at or now, **attempts, **note)
    if outcome.status == FAILED:
        return finish(Status.FAILED, now, last_error=outcome.error, **attempts)
    if outcome.status == DEFERRED:
        return defer(outcome.until, outcome.error)
    if outcome.status == RETRY:
        return reschedule_or_fail(action, now, outcome.error)
    if outcome.status == SKIPPED:
        return finish(Status.CANCELLED, now, cancel_reason=outcome.error)
    raise ValueError(f"unknown outcome {outcome.status!r}")


def finish(status: str, now, **fields) -> tuple[str, dict]:
    return status, {"status": status, "completed_at": now, **fields}


def defer(until, reason: str) -> tuple[str, dict]:
    return "deferred", {"status": Status.PENDING, "claimed_at": None, "due_at": until,
                        "outcome": f"deferred to {until:%Y-%m-%d %H:%M %Z}: {reason}"}


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: base · 2^(attempts-1), randomized down to half."""
    ceiling = conf.seconds("SEND_RETRY_BASE") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def reschedule_or_fail(action: ScheduledAction, now, error: str) -> tuple[str, dict]:
    """Try the action again after a backoff, or fail it once SEND_MAX_ATTEMPTS is reached."""
    attempts = action.attempts + 1
    if attempts >= conf.get("SEND_MAX_ATTEMPTS"):
        return finish(Status.FAILED, now, attempts=attempts, last_error=f"gave up after {attempts} attempts: {error}")
    return "retry", {"status": Status.PENDING, "attempts": attempts, "last_error": error, "claimed_at": None,
                     "due_at": now + retry_delay(attempts)}
