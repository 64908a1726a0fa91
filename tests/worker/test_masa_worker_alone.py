"""A site with no broker: `manage.py masa_worker` alone evaluates what intake stored and sends what
falls due; and the first-run check says what a new site still lacks."""
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from masa import worker
from masa.checks import missing
from masa.models import Channel, MessageTemplate, Rule, StoreEvent, WorkerHeartbeat

from ..helpers import customer_payload, order_payload, post_signed


@pytest.fixture
def no_broker(settings):
    settings.MASA = {**settings.MASA, "WORKER": "embedded"}


@pytest.fixture
def thank_you(db):
    Channel.objects.create(name="mail", kind="email", config={"from_email": "shop@example.com"})
    MessageTemplate.objects.create(key="thanks", subject="Thank you, {{ customer.first_name }}", body="Thanks!")
    Rule.objects.create(rule_id="thanks", title="Thanks", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "thanks", "class": "transactional"}}]})


@pytest.mark.django_db
def test_without_a_broker_masa_worker_evaluates_and_sends(client, signing_store, no_broker, thank_you, capsys):
    post_signed(client, signing_store, "customer_created", customer_payload(when=timezone.now()))
    post_signed(client, signing_store, "order_created", order_payload(when=timezone.now()))
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"received"}

    call_command("masa_worker", "--once")

    assert not StoreEvent.objects.exclude(name="message_sent").exclude(status="processed").exists()
    assert [m.subject for m in mail.outbox] == ["Thank you, Ruth"]
    call_command("masa_worker", "--once")
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert "done" in capsys.readouterr().out
    assert WorkerHeartbeat.objects.get(name="masa_worker").seen_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_the_worker_picks_up_a_new_delivery_within_a_second(client, signing_store, no_broker, thank_you):
    stop = threading.Event()
    runner = threading.Thread(target=worker.run, kwargs={"poll": 0.1, "stop": stop}, daemon=True)
    runner.start()
    try:
        post_signed(client, signing_store, "order_created", order_payload(when=timezone.now()))
        posted = time.monotonic()
        while time.monotonic() - posted < 5 and not mail.outbox:
            time.sleep(0.05)
        assert mail.outbox and time.monotonic() - posted < 1.5
    finally:
        stop.set()
        runner.join(timeout=30)


@pytest.mark.django_db
def test_a_failing_round_is_logged_and_the_worker_goes_on(monkeypatch, caplog):
    calls = []

    def flaky(now=None, limit=None, stopped=None):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return worker.Round()

    monkeypatch.setattr(worker, "run_once", flaky)
    worker.run(poll=0, rounds=3)
    assert len(calls) == 3 and "A masa_worker round failed" in caplog.text


@pytest.mark.django_db
def test_the_first_run_check_says_what_is_missing_until_nothing_is(settings):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [], "PUBLIC_URL": ""}
    assert [check_id for check_id, _, _ in missing()] == ["masa.W001", "masa.W002", "masa.W003", "masa.W004"]
    from django.core.management import call_command as run

    settings.MASA = {**settings.MASA, "SALEOR_STORES": [{"domain": "shop", "api_url": "https://shop/graphql/"}],
                     "PUBLIC_URL": "https://cms.example.com"}
    Channel.objects.create(name="mail", kind="email")
    worker.beat("masa_worker")
    assert missing() == []
    run("check")


@pytest.mark.django_db
def test_the_home_panel_lists_what_is_missing(client, settings):
    from ..helpers import editor

    settings.MASA = {**settings.MASA, "PUBLIC_URL": ""}
    client.force_login(editor())
    page = client.get("/admin/").content.decode()
    assert "No channel is set up" in page and "No worker has run in the last 10 minutes" in page


@pytest.mark.django_db
def test_a_too_short_abandonment_wait_is_a_startup_error(settings):
    from masa.checks import first_run

    settings.MASA = {**settings.MASA, "CART_ABANDONED_AFTER": "5m"}
    errors = [message for message in first_run() if message.id == "masa.E001"]
    assert errors and "15m at least" in errors[0].msg


@pytest.mark.django_db
def test_an_sms_to_a_customer_without_a_phone_is_skipped_with_the_reason(provider):
    from masa.models import Customer, ScheduledAction

    customer = Customer.objects.create(email="ruth@example.com")
    event = StoreEvent.objects.create(source="django", source_id="o", name="order_placed", customer=customer,
                                      occurred_at=timezone.now(), status="processed")
    Channel.objects.create(name="sms", kind="sms", config={"url": "https://sms.example/send"})
    MessageTemplate.objects.create(key="hi", body="Hi")
    action = ScheduledAction.objects.create(idempotency_key="hi", customer=customer, event=event, step=0,
                                            params={"template": "hi", "channel": "sms", "class": "transactional"},
                                            due_at=timezone.now())
    from masa.actions.due import sweep

    assert sweep() == {"cancelled": 1}
    action.refresh_from_db()
    assert action.cancel_reason == "the customer has no phone number for channel 'sms'" and not provider.requests


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_waiting_events_without_waiting_for_each_other():
    """Issue 20: a worker claims customers with SKIP LOCKED — a customer another worker holds is
    left to it (no lock wait), and each customer's events are evaluated in order by one worker."""
    from django.db import connection, transaction

    from masa.models import Customer

    held, other = Customer.objects.create(email="held@example.com"), Customer.objects.create(email="free@example.com")
    for customer in (held, other):
        for n in range(3):
            StoreEvent.objects.create(source="django", source_id=f"{customer.pk}-{n}", name="custom.visited",
                                      customer=customer, occurred_at=timezone.now(), data={})
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            Customer.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(20)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    started = time.monotonic()
    worker.run_once()
    assert time.monotonic() - started < 5, "the worker waited for the other worker's customer"
    statuses = dict(StoreEvent.objects.values_list("customer__email").distinct().values_list("customer__email", "status"))
    assert statuses == {"held@example.com": "received", "free@example.com": "processed"}
    release.set()
    thread.join()
    worker.run_once()
    held_events = StoreEvent.objects.filter(customer=held).order_by("pk")
    assert [e.status for e in held_events] == ["processed"] * 3
    assert [e.processed_at for e in held_events] == sorted(e.processed_at for e in held_events)
