"""Long work the admin starts — simulating a rule, backfilling it, upgrading a pack — as background
jobs (``models.Job``) with progress the admin can leave and come back to, cancel, and read the
outcome of.

Where a job runs: through Celery when the site has a broker (``masa.run_job``), else in a thread
of the process that started it (the demo); ``MASA["JOBS"] = "inline"`` runs it at once (tests).
Progress is written through a connection of its own, so it is seen while the job's transaction
is still open (on SQLite, which allows one writer, it goes through the cache instead). A
simulation works on private copies of the tables (``packs.shadow``): it locks no live row.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict

from django.core.cache import cache
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone, translation

from . import conf
from .models import Job, Rule, RulePack

log = logging.getLogger(__name__)
CACHE_SECONDS = 24 * 3600
STALLED_AFTER = 600   # seconds without a sign of life: the process running it is gone
TURN_WAIT = 60        # seconds a simulation waits for a forecast that plays to finish


class Cancelled(Exception):
    pass


def _cache_key(job_id: int) -> str:
    return f"masa:job:{job_id}"


class Progress:
    """Tells the admin how far a job is, and stops it when the admin cancelled."""

    def __init__(self, job: Job):
        self.job_id = job.pk
        self._own = None   # the connection progress is written through, opened at the first report

    def __call__(self, done: int, total: int, note: str = "") -> None:
        now = timezone.now()
        if connection.vendor == "sqlite":
            state = cache.get(_cache_key(self.job_id)) or {}
            cache.set(_cache_key(self.job_id), {**state, "done": done, "total": total, "note": note, "beat_at": now},
                      CACHE_SECONDS)
            if state.get("cancel"):
                raise Cancelled
            return
        self._own = self._own or connections.create_connection("default")
        with self._own.cursor() as cursor:
            cursor.execute(f"UPDATE {Job._meta.db_table} SET done = %s, total = %s, note = %s, beat_at = %s "
                           f"WHERE id = %s RETURNING cancel_requested", [done, total, note[:255], now, self.job_id])
            row = cursor.fetchone()
        if row and row[0]:
            raise Cancelled

    def close(self) -> None:
        if self._own is not None:
            self._own.close()


def seen(job: Job) -> Job:
    """The job with the progress a running job reported through the cache (SQLite)."""
    state = cache.get(_cache_key(job.pk))
    if state and not job.finished:
        job.done, job.total, job.note = state["done"], state["total"], state.get("note", "")
        job.beat_at = state.get("beat_at") or job.beat_at
    return job


def stalled(job: Job, now=None) -> bool:
    last = job.beat_at or job.started_at
    return job.status == Job.Status.RUNNING and last is not None and \
        ((now or timezone.now()) - last).total_seconds() > STALLED_AFTER


def running_simulation() -> Job | None:
    """A simulation queued or running (and not stalled): the site plays one at a time."""
    now = timezone.now()
    for job in Job.objects.filter(kind=Job.Kind.SIMULATE, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]):
        if job.status == Job.Status.QUEUED and (now - job.created_at).total_seconds() <= STALLED_AFTER:
            return job
        if job.status == Job.Status.RUNNING and not stalled(seen(job), now):
            return job
    return None


def start(kind: str, title: str, by: str, *, rule: Rule | None = None, pack_id: str = "", **params) -> Job:
    """Record a job and have it run once this transaction commits."""
    params.setdefault("language", translation.get_language())   # its report is in the words of who started it
    job = Job.objects.create(kind=kind, title=title, rule=rule, pack_id=pack_id, params=params, created_by=by)
    if conf.get("JOBS") == "inline":
        run(job.pk)
    else:
        transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _dispatch(job_id: int) -> None:
    mode = conf.get("JOBS")
    from celery import current_app

    if mode == "celery" or (mode is None and current_app.conf.broker_url and not current_app.conf.task_always_eager):
        current_app.send_task("masa.run_job", args=[job_id])   # tasks.run_job
        return
    threading.Thread(target=_in_thread, args=(job_id,), name=f"masa-job-{job_id}", daemon=True).start()


def _in_thread(job_id: int) -> None:
    try:
        run(job_id)
    finally:
        close_old_connections()
        connection.close()


def cancel(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    if job.status == Job.Status.QUEUED:
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELLED, finished_at=timezone.now(), note="cancelled before it started")
    state = cache.get(_cache_key(job.pk))
    if state is not None or connection.vendor == "sqlite":
        cache.set(_cache_key(job.pk), {**(state or {"done": 0, "total": 0}), "cancel": True}, CACHE_SECONDS)


def run(job_id: int) -> str:
    """Run a queued job to its end; returns its status."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), beat_at=timezone.now())
    if not claimed:
        return "skipped"
    job = Job.objects.get(pk=job_id)
    progress = Progress(job)
    fields = {}
    try:
        with translation.override(_language(job)):
            outcome = RUNNERS[job.kind](job, progress)
        fields = {"status": Job.Status.DONE, "outcome": outcome, "note": "finished"}
    except Cancelled:
        fields = {"status": Job.Status.CANCELLED, "note": "cancelled by the admin"}
    except Exception as error:  # noqa: BLE001 - a job's failure is recorded for the admin to read
        log.exception("Job %s failed", job_id)
        fields = {"status": Job.Status.FAILED, "error": f"{error.__class__.__name__}: {error}"[:2000]}
    finally:
        progress.close()
    if connection.vendor == "sqlite":
        seen(job)   # the last progress it reported through the cache
    else:
        job.refresh_from_db(fields=["done", "total"])
    done = (job.total or job.done) if fields["status"] == Job.Status.DONE else job.done
    Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), done=done, total=job.total, **fields)
    cache.delete(_cache_key(job_id))
    return fields["status"]


def _language(job: Job) -> str | None:
    """The language of the person who started the job: the one their request was in (their Wagtail
    preferred language), else their profile's, else the site's."""
    language = (job.params or {}).get("language")
    if language:
        return language
    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: job.created_by}).first()
    return UserProfile.get_for_user(user).get_preferred_language() if user else None


def _simulate(job: Job, progress: Progress) -> dict:
    from .packs.simulate import simulate
    from .rules.manual import backfill_candidates

    rule = job.rule
    if rule is None:
        raise ValueError("the rule was deleted")
    would = simulate(rule.pack, job.params["days"], rule_id=rule.rule_id, progress=progress, wait=TURN_WAIT)
    candidates = backfill_candidates(rule, {w.event_id for w in would})
    return {"would": [{**asdict(w), "due_at": w.due_at.isoformat()} for w in would],
            "customers": len({w.email for w in would}), "candidates": [item.event.pk for item in candidates]}


def _backfill(job: Job, progress: Progress) -> dict:
    """Hand the past events a finished simulation found to the rule (each once, ever)."""
    from .rules.manual import backfill, backfill_candidates

    rule = job.rule
    if rule is None:
        raise ValueError("the rule was deleted")
    if not (rule.enabled and rule.live):
        raise ValueError("turn the rule on and publish it before backfilling")
    items = backfill_candidates(rule, job.params["events"])
    stored, chunk = 0, 200
    for start_at in range(0, len(items), chunk):
        progress(start_at, len(items), "handing past events to the rule")
        stored += backfill(rule, items[start_at:start_at + chunk], by=job.created_by)
    progress(len(items), len(items), "handed to the rule")
    return {"events": stored}


def _upgrade(job: Job, progress: Progress) -> dict:
    from .packs.installer import upgrade_pack
    from .packs.loader import load_pack

    pack = load_pack(job.params["source"], job.params.get("filename", "pack.yaml"))
    if not RulePack.objects.filter(pack_id=pack.pack_id).exists():
        raise ValueError(f"pack {pack.pack_id!r} is not installed")
    from django.utils.translation import gettext as _

    progress(0, len(pack.rules), _("upgrading the pack's rules"))
    report = upgrade_pack(pack, progress=progress, choices=job.params.get("choices") or {},
                          installed_as=job.params.get("installed_as"))   # still the pack previewed
    if job.params.get("subscription"):   # the subscription's release is applied: nothing waits any more
        from .models import PackSubscription

        subscription = PackSubscription.objects.filter(pk=job.params["subscription"]).first()
        if subscription is not None and subscription.available_source.replace("\r\n", "\n") == job.params["source"]:
            subscription.status, subscription.available_version, subscription.available_source = \
                PackSubscription.Status.UP_TO_DATE, "", ""
            subscription.save(update_fields=["status", "available_version", "available_source"])
    return {"lines": report.lines, "changed": report.changed, "version": pack.version,
            "choices": job.params.get("choices") or {}}


RUNNERS = {Job.Kind.SIMULATE: _simulate, Job.Kind.BACKFILL: _backfill, Job.Kind.UPGRADE: _upgrade}
