"""Celery tasks: thin wrappers that hand work to reading, evaluation and the action stage, and the
receivers that wake them after intake stores a delivery (``inbound.inbound_stored``) and after the
event store stores events (``eventstore.events_stored``), both connected in ``MasaConfig.ready``.

The tasks claim their work as ``masa_worker`` does and run the same code: ``masa.read_inbound``
reads every stored delivery (``SKIP LOCKED``), ``masa.evaluate_waiting`` evaluates waiting events
of customers it locks (``worker.evaluate_waiting``: several Celery workers on several machines
share the work without waiting on each other, each customer's events in order), and
``masa.sweep_due_actions`` sends what is due (``actions.due.sweep``). Nothing is published per
delivery: a receiver wakes a task unless one is queued and has not started (``wakeups``), a task
that finds a full batch wakes another so that idle workers join in, and one that has evaluated
events wakes the sweep. Beat's schedule is the safety net: ``masa.evaluate_waiting`` every 5 s
finds what a wake-up lost with its task (a worker killed, the broker down, a customer another
transaction held) left waiting.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import conf
from . import wakeups
from .actions.due import sweep
from .models import StoreEvent
from .rules import broadcast, evaluate
from .signals import inbound
from .worker import CELERY, beat, evaluate_waiting as evaluate_claimed

log = logging.getLogger(__name__)


@shared_task(name="masa.evaluate_waiting", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_waiting() -> int:
    """Evaluate waiting events of customers this task claims, up to ``SWEEP_BATCH_SIZE`` of them;
    a full first batch wakes another task (more wait: an idle worker joins in), a full run wakes
    one more to go on, and evaluated events wake the sweep (their actions may be due now)."""
    wakeups.started(evaluate_waiting)
    batch, limit = max(1, conf.get("EVALUATION_BATCH")), conf.get("SWEEP_BATCH_SIZE")
    evaluated = evaluate_claimed(batch)
    if evaluated >= batch:
        _wake(evaluate_waiting)
        evaluated += evaluate_claimed(max(limit - batch, 0))
        if evaluated >= limit:
            _wake(evaluate_waiting)
    if evaluated:
        _wake(sweep_due_actions)
    return evaluated


@shared_task(name="masa.evaluate_events", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_events(event_ids: list[int]) -> list[str]:
    """Evaluate the events of one delivery in the order they were stored (an evaluated event is
    skipped, so a retry after a partial run finishes the rest). What the receiver runs when Celery
    runs tasks in-process (tests, the demo); tasks 0.2.0 queued run through it after an upgrade."""
    return evaluate.evaluate_events(event_ids)


@shared_task(name="masa.evaluate_event", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_event(event_id: int) -> str:
    """One event; kept for tasks an earlier version queued."""
    return evaluate.evaluate_event(event_id)


@shared_task(name="masa.sweep_due_actions")
def sweep_due_actions() -> dict:
    """Send the due actions, up to ``SWEEP_BATCH_SIZE``; a full claim wakes another sweep."""
    wakeups.started(sweep_due_actions)
    limit = conf.get("SWEEP_BATCH_SIZE")
    counts = sweep(limit=limit)
    if sum(counts.values()) >= limit:
        _wake(sweep_due_actions)
    beat(CELERY)
    return counts


@shared_task(name="masa.fan_out_broadcasts")
def fan_out_broadcasts() -> int:
    """Reach the next customers of every broadcast in progress (``rules.broadcast``); their sends
    are due now, so customers reached wake the sweep."""
    reached = broadcast.fan_out_due()
    if reached:
        _wake(sweep_due_actions)
    return reached


@shared_task(name="masa.check_pack_subscriptions")
def check_pack_subscriptions() -> int:
    """Check the pack subscriptions not checked for a day (``packs.subscriptions``); beat runs it hourly."""
    from .packs.subscriptions import check_due

    return check_due()


@shared_task(name="masa.run_job", acks_late=True)
def run_job(job_id: int) -> str:
    """An admin job (``jobs``): simulate, backfill or a pack upgrade."""
    from .jobs import run

    return run(job_id)


@shared_task(name="masa.read_inbound")
def read_inbound() -> int:
    """Read the webhooks intake stored until none waits (at most ``SWEEP_BATCH_SIZE`` deliveries a
    read, ten reads; then another task goes on); intake wakes it, beat runs it every second."""
    wakeups.started(read_inbound)
    limit = conf.get("SWEEP_BATCH_SIZE")
    total = 0
    for _ in range(10):
        read = inbound.read(limit)
        total += read
        if read < limit:
            return total
    _wake(read_inbound)
    return total


def read_stored(inbound_ids: list[int], **kwargs) -> None:
    """The receiver of ``inbound_stored``: with Celery running tasks in-process (tests, the demo)
    the delivery is read at once; with a broker ``masa.read_inbound`` is woken; with
    ``masa_worker`` nothing is published — it finds the delivery within a second."""
    if current_app.conf.task_always_eager:
        inbound.read(ids=list(inbound_ids))
    elif uses_celery():
        _wake(read_inbound)


OUTBOX_LIMIT = 1000


@shared_task(name="masa.sweep_outbox")
def sweep_outbox() -> int:
    """Evaluate events still waiting ``OUTBOX_GRACE`` after they were stored (their wake-up was
    lost with the broker), through the same claim as every evaluation; beat runs it every minute.
    A full run hands the rest on to ``masa.evaluate_waiting``; evaluated events wake the sweep."""
    cutoff = timezone.now() - timedelta(seconds=conf.seconds("OUTBOX_GRACE"))
    if not StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED, received_at__lt=cutoff).exists():
        return 0
    evaluated = evaluate_claimed(OUTBOX_LIMIT)
    if evaluated >= OUTBOX_LIMIT:
        _wake(evaluate_waiting)
    if evaluated:
        _wake(sweep_due_actions)
    return evaluated


def uses_celery() -> bool:
    """``MASA["WORKER"]``: "celery" or "embedded" (masa_worker polls the database); by default
    Celery when the site configured a broker for it, else embedded."""
    mode = conf.get("WORKER")
    if mode:
        return mode == "celery"
    return bool(current_app.conf.broker_url or current_app.conf.task_always_eager)


def enqueue_evaluation(event_ids: list[int], **kwargs) -> None:
    """The receiver of ``eventstore.events_stored``. With Celery running tasks in-process (tests,
    the demo) the events are evaluated at once, in order; with a broker ``masa.evaluate_waiting``
    is woken (it finds them with every other waiting event); if the broker is down the outbox
    sweep evaluates them later. Without Celery nothing is queued: ``masa_worker`` finds them."""
    if not uses_celery():
        return
    try:
        if current_app.conf.task_always_eager:
            evaluate_events.delay(list(event_ids))
        else:
            wakeups.wake(evaluate_waiting)
    except Exception:
        log.warning("Could not enqueue events %s; the outbox sweep will evaluate them", event_ids, exc_info=True)


def _wake(task) -> None:
    """Wake ``task`` from inside a task or a receiver when a broker carries tasks (in-process
    Celery and ``masa_sweep`` do the work where they are); a broker that refuses is logged (beat's
    schedule runs the task again)."""
    if current_app.conf.task_always_eager or not uses_celery():
        return
    try:
        wakeups.wake(task)
    except Exception:
        log.warning("Could not wake %s; beat's schedule runs it", task.name, exc_info=True)
