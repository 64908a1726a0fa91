"""``manage.py masa_worker`` stopped with SIGTERM (systemd, ``docker stop``) in the middle of its
work: the batch in hand commits, the claimed actions it did not start go back to pending, and it
exits 0 at once; the next worker does the rest — every event evaluated once, every message sent
once. A second signal stops it at once: the actions not started are handed back too, and the send
it cut short goes once, after its lease."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from masa import conf, worker
from masa.actions.due import sweep
from masa.models import (Channel, Customer, Delivery, MessageTemplate, Rule, RuleFiring, ScheduledAction,
                         StoreEvent)

from .loopback_sms import LoopbackSmsProvider

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS, EVENTS_EACH = 150, 4
pytestmark = pytest.mark.django_db(transaction=True)


def start_worker() -> subprocess.Popen:
    """``masa_worker`` in a child process on this test's database (as tests/actions/test_exactly_once.py)."""
    return subprocess.Popen(
        [sys.executable, "example/manage.py", "masa_worker", "--poll", "0.2"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
             "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example'}", "MASA_DB": "postgres",
             "PGDATABASE": connection.settings_dict["NAME"], "MASA_TEST_CHANNEL_HOSTS": "127.0.0.1"})


def wait_until(condition, seconds: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"{what} did not happen: {process.communicate(timeout=5)[0]}")
        time.sleep(0.005)


def stopped_within(process: subprocess.Popen, seconds: float) -> tuple[int, str]:
    try:
        output = process.communicate(timeout=seconds)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"masa_worker did not stop within {seconds} s: {process.communicate(timeout=5)[0]}")
    return process.returncode, output


def drain() -> None:
    """What the next worker does: rounds until nothing is left."""
    while not worker.run_once().idle:
        pass


@pytest.fixture
def thank_you_for_every_visit():
    Channel.objects.create(name="mail", kind="email", config={"from_email": "shop@example.com"})
    MessageTemplate.objects.create(key="thanks", subject="Thanks for visiting", body="Thanks!")
    return Rule.objects.create(rule_id="thanks", title="Thanks", definition={
        "trigger": {"event": "custom.visited"}, "once": "event",
        "steps": [{"send": {"template": "thanks", "class": "transactional"}}]})


def store_visits() -> int:
    now = timezone.now()
    for n in range(CUSTOMERS):
        customer = Customer.objects.create(email=f"visitor-{n}@example.com", first_name="Ruth")
        StoreEvent.objects.bulk_create(
            StoreEvent(source="django", source_id=f"{n}-{visit}", name="custom.visited", customer=customer,
                       occurred_at=now, data={}) for visit in range(EVENTS_EACH))
    return CUSTOMERS * EVENTS_EACH


def test_sigterm_while_evaluating_commits_the_batch_exits_0_and_the_rest_is_evaluated_once(
        thank_you_for_every_visit):
    total = store_visits()
    evaluated = StoreEvent.objects.exclude(status="received").count
    process = start_worker()
    wait_until(lambda: 0 < evaluated() < total - conf.get("EVALUATION_BATCH"), 60, "a first batch", process)
    process.send_signal(signal.SIGTERM)

    code, output = stopped_within(process, 10)
    assert code == 0, output
    left = StoreEvent.objects.filter(status="received").count()
    assert 0 < left < total, "the worker stopped between batches, not before or after all of them"
    assert StoreEvent.objects.exclude(status__in=["received", "processed"]).filter(name="custom.visited").count() == 0
    assert not ScheduledAction.objects.filter(status="claimed").exists()

    drain()
    visits = StoreEvent.objects.filter(name="custom.visited")
    assert set(visits.values_list("status", flat=True)) == {"processed"}
    firings = Counter(RuleFiring.objects.values_list("event_id", flat=True))
    assert len(firings) == total and set(firings.values()) == {1}, "a visit evaluated twice or not at all"
    planned = Counter(ScheduledAction.objects.values_list("event_id", flat=True))
    assert len(planned) == total and set(planned.values()) == {1}
    assert set(ScheduledAction.objects.values_list("status", flat=True)) == {"done"}
    assert Delivery.objects.count() == total
    assert Delivery.objects.filter(status="sent").count() == total


def due_texts(url: str, count: int) -> list[ScheduledAction]:
    Channel.objects.create(name="SMS", kind="sms", config={"provider": "http", "url": url})
    MessageTemplate.objects.create(key="hello", body="Hi {{ customer.first_name }}")
    actions = []
    for n in range(count):
        customer = Customer.objects.create(email=f"texted-{n}@example.com", first_name="Ruth",
                                           phone=f"+9725000{n:05d}")
        event = StoreEvent.objects.create(source="django", source_id=f"o-{n}", name="order_placed",
                                          customer=customer, occurred_at=timezone.now(), status="processed")
        actions.append(ScheduledAction.objects.create(
            idempotency_key=f"hello:{n}", customer=customer, event=event, step=0, kind="send",
            params={"template": "hello", "channel": "sms", "class": "transactional"}, due_at=timezone.now()))
    return actions


@pytest.fixture
def loopback_channels(settings):
    settings.MASA = {**settings.MASA, "ALLOWED_CHANNEL_HOSTS": ["127.0.0.1"]}


def test_sigterm_while_sending_finishes_the_send_in_hand_and_hands_back_the_rest(loopback_channels):
    provider = LoopbackSmsProvider(delay=0.02)
    try:
        count = 120
        due_texts(provider.url, count)
        process = start_worker()
        wait_until(lambda: len(provider.requests) >= 5, 60, "the first sends", process)
        process.send_signal(signal.SIGTERM)

        code, output = stopped_within(process, 5)
        assert code == 0, output
        sent = Delivery.objects.filter(status="sent").count()
        assert 0 < sent < count and len(provider.requests) == sent, "a send cut short or one not recorded"
        assert not ScheduledAction.objects.filter(status="claimed").exists(), "claimed actions not handed back"
        assert ScheduledAction.objects.filter(status="pending").count() == count - sent

        drain()
        assert Delivery.objects.filter(status="sent").count() == count
        keys = Counter(provider.requests)
        assert len(keys) == count and set(keys.values()) == {1}, "a text sent twice or lost"
    finally:
        provider.stop()


def test_a_second_sigterm_stops_at_once_and_nothing_is_lost_or_sent_twice(loopback_channels):
    provider = LoopbackSmsProvider(hold="all")
    try:
        action, *waiting = due_texts(provider.url, 3)
        process = start_worker()
        wait_until(provider.first_arrived.is_set, 60, "the send", process)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert process.poll() is None, "the first SIGTERM waits for the send in hand"
        process.send_signal(signal.SIGTERM)

        code, output = stopped_within(process, 5)
        assert code == 128 + signal.SIGTERM and "stopped at once" in output
        provider.release.set()
        action.refresh_from_db()
        assert action.status == "claimed" and not Delivery.objects.filter(status="sent").exists()
        assert {each.status for each in ScheduledAction.objects.filter(pk__in=[w.pk for w in waiting])} == {"pending"}

        assert sweep() == {"done": 2}, "the actions not started go at once"
        after_the_lease = timezone.now() + timedelta(seconds=conf.seconds("CLAIM_LEASE") + 1)
        assert sweep(now=after_the_lease) == {"done": 1}
        cut_short = Delivery.objects.get(action=action)
        assert provider.requests.count(provider.requests[0]) == 2 and len(provider.requests) == 4, \
            "the cut send went again with the same Idempotency-Key: the provider delivers it once"
        assert cut_short.attempts.filter(ok=True).count() == 1
    finally:
        provider.stop()
