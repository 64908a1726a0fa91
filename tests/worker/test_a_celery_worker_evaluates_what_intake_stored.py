"""A real Celery worker, over the real Redis broker, evaluates what intake stored."""
import time

import pytest
from celery.contrib.testing.worker import start_worker

from example_site.celery import app
from masa import signals
from masa.models import ScheduledAction, StoreEvent


@pytest.fixture
def redis_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_order_signal_is_evaluated_by_a_worker_through_redis(refill_rule, redis_worker):
    signals.order_placed.send(sender=None, order_id=501, email="w@example.com",
                              lines=[{"product_id": "p", "quantity": 1, "total": 5.0, "category": "absorbent"}])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and StoreEvent.objects.filter(status="received").exists():
        time.sleep(0.1)
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert ScheduledAction.objects.count() == 1
