"""Celery tasks: thin wrappers that hand work to evaluation and the action stage, and the
receiver that queues the evaluation of every batch of stored events (``eventstore.events_stored``,
connected in ``MasaConfig.ready``)."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import conf
from .actions.due import sweep
from .models import StoreEvent
from .rules import broadcast, evaluate
from .signals import inbound
from .worker import CELERY, beat

log = logging.getLogger(__name__)


@shared_task(name="masa.evaluate_event", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_event(event_id: int) -> str:
    return evaluate.evaluate_event(event_id)


@shared_task(name="masa.evaluate_events", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_events(event_ids: list[int]) -> list[str]:
    """Evaluate the events of one delivery in the order they were stored (an evaluated event is
    skipped, so a retry after a partial run finishes the rest)."""
    return evaluate.evaluate_events(event_ids)


@shared_task(name="masa.sweep_due_actions")
def sweep_due_actions() -> dict:
    counts = sweep()
    beat(CELERY)
    return counts


@shared_task(name="masa.fan_out_broadcasts")
def fan_out_broadcasts() -> int:
    """Reach the next customers of every broadcast in progress (``rules.broadcast``)."""
    return broadcast.fan_out_due()


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
    """Read the webhooks intake stored (``signals.inbound``) until none waits; beat runs it every second."""
    read = total = inbound.read()
    while read:
        read = inbound.read()
        total += read
    return total


def read_now_if_eager(inbound_ids: list[int], **kwargs) -> None:
    """The receiver of ``inbound_stored``: with Celery running tasks in-process (tests, the demo)
    the delivery is read at once; otherwise nothing is published per request — ``masa_worker``
    or the ``masa.read_inbound`` beat task finds it within a second."""
    if current_app.conf.task_always_eager:
        inbound.read(ids=list(inbound_ids))


@shared_task(name="masa.sweep_outbox")
def sweep_outbox() -> int:
    """Evaluate events that were stored but never reached a worker (the broker was down)."""
    cutoff = timezone.now() - timedelta(seconds=conf.seconds("OUTBOX_GRACE"))
    ids = list(
        StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at").values_list("pk", flat=True)[:1000]
    )
    for event_id in ids:
        evaluate.evaluate_event(event_id)
    return len(ids)


def uses_celery() -> bool:
    """``MASA["WORKER"]``: "celery" or "embedded" (masa_worker polls the database); by default
    Celery when the site configured a broker for it, else embedded."""
    mode = conf.get("WORKER")
    if mode:
        return mode == "celery"
    return bool(current_app.conf.broker_url or current_app.conf.task_always_eager)


def enqueue_evaluation(event_ids: list[int], **kwargs) -> None:
    """Hand the events to a worker as one task, evaluated in order; if the broker is down the
    outbox sweep picks them up later. The receiver of ``eventstore.events_stored``. Without Celery
    nothing is queued: ``masa_worker`` finds the stored events itself."""
    if not uses_celery():
        return
    try:
        evaluate_events.delay(list(event_ids))
    except Exception:
        log.warning("Could not enqueue events %s; the outbox sweep will evaluate them", event_ids, exc_info=True)
