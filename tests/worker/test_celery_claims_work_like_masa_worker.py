"""With a broker, Celery claims its work as masa_worker does: commits wake one task while it waits
(not one task per delivery), the task evaluates the customers it can lock and leaves another
worker's customers to it, and a signed webhook is read and evaluated with no beat running."""
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connections, transaction

from example_site.celery import app
from masa import signals, tasks, wakeups
from masa.models import Customer, ScheduledAction, StoreEvent

from ..helpers import place_order

QUEUE = "celery"  # Celery's default queue: a list of that name in the broker's Redis


@pytest.fixture
def broker(settings):
    """Tasks go to the test broker (Redis) instead of running in-process; the queue starts and ends empty."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete(QUEUE)
    for task in (tasks.evaluate_waiting, tasks.read_inbound, tasks.sweep_due_actions):
        wakeups.started(task)
    yield queue
    queue.delete(QUEUE)
    app.conf.task_always_eager = True


@pytest.fixture
def celery_worker(broker):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def published(queue) -> list[str]:
    import json

    return [json.loads(message)["headers"]["task"] for message in queue.lrange(QUEUE, 0, -1)]


def wait_until(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()


@pytest.mark.worker
@pytest.mark.django_db
def test_twenty_stored_batches_publish_one_task_while_it_waits(broker):
    for batch in range(20):
        tasks.enqueue_evaluation([batch])
    assert published(broker) == ["masa.evaluate_waiting"]

    wakeups.started(tasks.evaluate_waiting)  # the task began: it looks after this, so a new batch needs a new task
    tasks.enqueue_evaluation([21])
    assert published(broker) == ["masa.evaluate_waiting"] * 2


@pytest.mark.worker
@pytest.mark.django_db
def test_without_a_shared_cache_every_batch_publishes(broker, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for batch in range(3):
        tasks.enqueue_evaluation([batch])
    assert published(broker) == ["masa.evaluate_waiting"] * 3


@pytest.mark.worker
@pytest.mark.django_db
def test_a_broker_that_refuses_is_asked_once_without_retries_until_the_flag_ends(broker, monkeypatch):
    real, asked = tasks.evaluate_waiting.apply_async, []

    def refused(*args, **kwargs):
        asked.append(kwargs)
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.evaluate_waiting, "apply_async", refused)
    for batch in range(20):
        tasks.enqueue_evaluation([batch])  # logged; beat's schedule is the safety net
    assert len(asked) == 1 and asked[0]["retry"] is False  # a webhook's answer never waits on the broker
    monkeypatch.setattr(tasks.evaluate_waiting, "apply_async", real)
    wakeups.started(tasks.evaluate_waiting)  # stands for the flag's end (FLAG_SECONDS)
    tasks.enqueue_evaluation([21])
    assert published(broker) == ["masa.evaluate_waiting"]


@pytest.mark.worker
@pytest.mark.django_db
def test_a_full_batch_wakes_another_task_so_idle_workers_join_in(broker, settings, refill_rule):
    settings.MASA = {**settings.MASA, "EVALUATION_BATCH": 2, "SWEEP_BATCH_SIZE": 2}
    with transaction.atomic():  # stored, but nothing published yet
        for number in range(3):
            signals.order_placed.send(sender=None, order_id=700 + number, email=f"c{number}@example.com",
                                      lines=[{"product_id": "p", "quantity": 1, "total": 5.0, "category": "absorbent"}])
    broker.delete(QUEUE)
    wakeups.started(tasks.evaluate_waiting)

    assert tasks.evaluate_waiting() == 2
    assert sorted(published(broker)) == ["masa.evaluate_waiting", "masa.sweep_due_actions"]
    assert StoreEvent.objects.filter(status="received").exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_customer_another_worker_holds_is_left_to_it_and_the_rest_are_evaluated(refill_rule, broker):
    order = {"lines": [{"product_id": "p", "quantity": 1, "total": 5.0, "category": "absorbent"}]}
    signals.order_placed.send(sender=None, order_id=801, customer_id="held", email="held@example.com", **order)
    signals.order_placed.send(sender=None, order_id=802, customer_id="free", email="free@example.com", **order)
    assert published(broker) == ["masa.evaluate_waiting"]  # queued; no worker has started yet
    held = Customer.objects.get(email="held@example.com")
    other = connections.create_connection("default")  # another worker's transaction, holding the customer
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM masa_customer WHERE id = %s FOR UPDATE", [held.pk])
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            free_done = wait_until(lambda: not StoreEvent.objects.filter(customer__email="free@example.com",
                                                                        status="received").exists())
            assert free_done, "the free customer's order waited for the held one"
            assert StoreEvent.objects.filter(customer=held, status="received").count() == 3
            other.rollback()  # the other worker is done with them
            tasks.enqueue_evaluation([])  # any later commit wakes a task
            assert wait_until(lambda: not StoreEvent.objects.filter(status="received").exists())
    finally:
        other.rollback()
        other.close()
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert ScheduledAction.objects.count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_signed_webhook_is_read_and_evaluated_by_celery_with_no_beat(client, signing_store, refill_rule,
                                                                      celery_worker):
    place_order(client, signing_store)
    assert wait_until(lambda: StoreEvent.objects.exists()
                      and not StoreEvent.objects.filter(status="received").exists())
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert ScheduledAction.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db
def test_a_task_woken_for_nothing_costs_one_statement_and_wakes_nothing(broker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        assert tasks.evaluate_waiting() == 0
    sql = [q["sql"] for q in statements.captured_queries if "SAVEPOINT" not in q["sql"]]  # the test's transaction
    assert len(sql) == 1 and "masa_storeevent" in sql[0], sql
    assert published(broker) == []


@pytest.mark.worker
@pytest.mark.django_db
def test_a_broadcast_reaching_customers_wakes_the_sweep_and_one_reaching_none_does_not(broker, monkeypatch):
    from masa.rules import broadcast

    monkeypatch.setattr(broadcast, "fan_out_due", lambda: 0)
    assert tasks.fan_out_broadcasts() == 0 and published(broker) == []
    monkeypatch.setattr(broadcast, "fan_out_due", lambda: 120)
    assert tasks.fan_out_broadcasts() == 120
    assert published(broker) == ["masa.sweep_due_actions"]
