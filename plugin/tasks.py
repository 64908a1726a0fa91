"""Celery tasks: thin wrappers that hand work to evaluation and scheduling."""
from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import conf


@shared_task(name="masa.evaluate_event", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_event(event_id: int) -> str:
    from .rules.evaluate import evaluate_event as evaluate

    return evaluate(event_id)


@shared_task(name="masa.evaluate_events", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, max_retries=10, acks_late=True)
def evaluate_events(event_ids: list[int]) -> list[str]:
    """Evaluate the events of one delivery in the order they were stored (an evaluated event is
    skipped, so a retry after a partial run finishes the rest)."""
    from .rules.evaluate import evaluate_events as evaluate

    return evaluate(event_ids)


@shared_task(name="masa.sweep_due_actions")
def sweep_due_actions() -> dict:
    from .scheduling import sweep

    return sweep()


@shared_task(name="masa.sweep_outbox")
def sweep_outbox() -> int:
    """Evaluate events that were stored but never reached a worker (the broker was down)."""
    from .models import StoreEvent
    from .rules.evaluate import evaluate_event as evaluate

    cutoff = timezone.now() - timedelta(seconds=conf.get("OUTBOX_GRACE_SECONDS"))
    ids = list(
        StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at").values_list("pk", flat=True)[:1000]
    )
    for event_id in ids:
        evaluate(event_id)
    return len(ids)
