"""Celery's wake-ups attacked (review of issue 34 item 1): what can leave an event waiting with no
task coming, and what makes two workers wait on each other."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from masa import conf, tasks, wakeups
from masa.models import Customer, StoreEvent
from masa.rules.store import CLAIM_WINDOW, claim_waiting_events, lock_events

from .test_celery_claims_work_like_masa_worker import broker, published  # noqa: F401 - the fixture

SOAK_DRAIN_TARGET = 30  # issue 34: the Celery path drains within 30 s of its last request


def stored(customer=None, count=1, age=timedelta(0), name="customer_updated", key="e"):
    now = timezone.now()
    return StoreEvent.objects.bulk_create(
        StoreEvent(source="test", source_id=f"{key}-{number}", name=name, customer=customer,
                   occurred_at=now - age, received_at=now - age) for number in range(count))


def waiting(**lookup) -> int:
    return StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED, **lookup).count()


@pytest.mark.worker
@pytest.mark.django_db
def test_a_stranded_backlog_larger_than_one_outbox_sweep_is_handed_on_not_left_for_the_next_minute(broker):
    """The broker died with 1,001 events' wake-ups and nothing else commits: the outbox sweep takes
    1,000 and must wake evaluation for the rest (a full batch does so everywhere else)."""
    stored(count=1001, age=timedelta(seconds=conf.seconds("OUTBOX_GRACE") + 5))

    assert tasks.sweep_outbox() == 1000
    assert waiting() == 0 or "masa.evaluate_waiting" in published(broker), \
        "events left waiting with no task coming until beat's next outbox sweep (a minute)"


@pytest.mark.worker
@pytest.mark.django_db
def test_events_the_outbox_sweep_evaluates_wake_the_sweep_as_every_evaluation_does(broker):
    customer = Customer.objects.create(email="stranded@example.com")
    stored(customer, age=timedelta(seconds=conf.seconds("OUTBOX_GRACE") + 5))

    assert tasks.sweep_outbox() == 1
    assert "masa.sweep_due_actions" in published(broker), "their due actions wait for beat's 30 s sweep"


@pytest.mark.worker
@pytest.mark.django_db
def test_a_wake_up_lost_with_its_task_is_made_good_within_the_soaks_drain_target(broker, settings):
    """A stored event finds a task queued (no publish); the worker takes the task, clears the flag
    and is SIGKILLed before its claim (its message acknowledged on receipt, or by the pool when a
    child dies). Nothing else commits: only beat comes, and it must come within the target."""
    stored(Customer.objects.create(email="late@example.com"))
    tasks.enqueue_evaluation([0])
    broker.delete("celery")                      # the worker took the task…
    wakeups.started(tasks.evaluate_waiting)      # …began, and died before it claimed
    assert published(broker) == [] and waiting() == 1
    assert tasks.sweep_outbox() == 0             # the safety net leaves it until it is OUTBOX_GRACE old

    schedule = settings.CELERY_BEAT_SCHEDULE.values()
    periods = [entry["schedule"] for entry in schedule if entry["task"] == "masa.evaluate_waiting"]
    periods += [entry["schedule"] + conf.seconds("OUTBOX_GRACE") for entry in schedule
                if entry["task"] == "masa.sweep_outbox"]
    assert min(periods) <= SOAK_DRAIN_TARGET, f"the event waits up to {min(periods)} s"


@pytest.fixture
def held_in_another_transaction():
    """Another worker's transaction: ``hold(customer)`` locks the customer's row until the test ends."""
    other = connections.create_connection("default")
    other.set_autocommit(False)

    def hold(customer):
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM masa_customer WHERE id = %s FOR UPDATE", [customer.pk])

    yield hold
    other.rollback()
    other.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_woken_worker_finds_the_customers_behind_a_held_customers_backlog(broker, settings,
                                                                            held_in_another_transaction):
    """One customer's backlog (a backfill, an import) fills the claim's window of oldest events;
    another worker holds that customer. The woken task must go on to the customers behind it, not
    find nothing and wake nothing (scale-out then collapses to the one worker holding the backlog)."""
    settings.MASA = {**settings.MASA, "EVALUATION_BATCH": 2}
    busy, free = Customer.objects.create(email="busy@example.com"), Customer.objects.create(email="free@example.com")
    stored(busy, count=2 * CLAIM_WINDOW, key="busy")
    stored(free, key="free")
    held_in_another_transaction(busy)

    tasks.evaluate_waiting()
    assert waiting(customer=free) == 0, "the free customer waits for the busy one's whole backlog"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_event_even_one_that_names_no_customer(settings):
    """Events with no customer (an anonymous checkout: no e-mail yet) come along in every claim, so
    two workers claim the same ones and the second waits in ``lock_events`` for the first's whole
    batch: workers that were to never wait on each other do."""
    ada, ben = Customer.objects.create(email="ada@example.com"), Customer.objects.create(email="ben@example.com")
    stored(None, key="anonymous-checkout")
    stored(ada, key="ada")
    stored(ben, key="ben")
    first_claimed, release, claims = threading.Event(), threading.Event(), {}

    def first_worker():
        try:
            with transaction.atomic():
                claims["first"] = claim_waiting_events(1)
                lock_events(claims["first"])
                first_claimed.set()
                release.wait(30)
        finally:
            first_claimed.set()
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert first_claimed.wait(30) and claims.get("first")
        with transaction.atomic():
            claims["second"] = claim_waiting_events(1)
    finally:
        release.set()
        thread.join(30)
    assert claims["second"], "the second worker found nothing although ben waits"
    assert not set(claims["first"]) & set(claims["second"]), claims


@pytest.mark.worker
@pytest.mark.django_db
def test_a_dead_broker_is_asked_once_per_wake_up_not_by_every_webhook(broker, monkeypatch):
    """Intake now publishes from the webhook's own request (``read_stored``). With the broker down
    each refusal takes its flag back, so every webhook retries the dead broker (kombu's publish
    retries: ~0.6 s a request when refused, up to 4 × ``broker_connection_timeout`` when the host
    does not answer) — intake, "one INSERT", slows with the broker it did not need before."""
    attempts = []

    def refused(*args, **kwargs):
        attempts.append(kwargs)
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.read_inbound, "apply_async", refused)
    for delivery in range(20):
        tasks.read_stored([delivery])  # twenty webhooks stored while the broker is down
    assert len(attempts) <= 1, f"{len(attempts)} webhooks each waited on the dead broker"


@pytest.mark.worker
@pytest.mark.django_db
def test_a_commit_landing_while_the_task_looks_publishes_another_task(broker, monkeypatch):
    """The design's one invariant: the task clears its flag before it looks, so a commit its look
    may miss finds no flag and publishes. (No other test fails if ``started`` moves after the claim.)"""
    tasks.enqueue_evaluation([0])
    broker.delete("celery")  # a worker took the queued task
    claim = tasks.evaluate_claimed

    def a_commit_lands_as_it_looks(limit):
        tasks.enqueue_evaluation([1])
        return claim(limit)

    monkeypatch.setattr(tasks, "evaluate_claimed", a_commit_lands_as_it_looks)
    tasks.evaluate_waiting()
    assert published(broker) == ["masa.evaluate_waiting"]
