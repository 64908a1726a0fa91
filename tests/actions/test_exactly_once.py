"""Exactly-once effect under at-least-once delivery: the same webhook five times at once, and a
worker killed with SIGKILL while the provider holds its request."""
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from masa import conf
from masa.actions import due as scheduling
from masa.models import Channel, Customer, Delivery, InboundDelivery, MessageTemplate, ScheduledAction, StoreEvent

from ..helpers import STORE_API_URL, STORE_DOMAIN, at_once, post_webhook
from ..helpers import customer_payload, order_payload
from ..loopback_sms import LoopbackSmsProvider

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_five_times_at_once_is_stored_and_acted_on_once(signing_store, refill_rule):
    post_webhook(Client(), *_signed(signing_store, "customer_created", customer_payload()))
    body, headers = _signed(signing_store, "order_created", order_payload())
    answers = []
    at_once(5, lambda: answers.append(post_webhook(Client(), body, headers).json()["status"]))

    assert sorted(answers) == ["accepted"] + ["duplicate"] * 4
    assert InboundDelivery.objects.filter(event_type="order_created").count() == 1
    assert StoreEvent.objects.filter(source="saleor", name="order_placed").count() == 1
    assert ScheduledAction.objects.filter(rule=refill_rule).count() == 1


def _signed(signer, event, payload):
    body = json.dumps(payload).encode()
    return body, signer.headers(event, body, STORE_DOMAIN, STORE_API_URL)


@pytest.fixture
def holding_provider():
    provider = LoopbackSmsProvider(hold="first")
    yield provider
    provider.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_the_provider_call_sends_once_after_recovery(holding_provider, settings):
    settings.MASA = {**settings.MASA, "ALLOWED_CHANNEL_HOSTS": ["127.0.0.1"]}
    customer = Customer.objects.create(email="ruth@example.com", first_name="Ruth", phone="+972500000001")
    event = StoreEvent.objects.create(source="django", source_id="o-1", name="order_placed", customer=customer,
                                      occurred_at=timezone.now(), status="processed")
    Channel.objects.create(name="SMS", kind="sms", config={"provider": "http", "url": holding_provider.url})
    MessageTemplate.objects.create(key="hello", body="Hi {{ customer.first_name }}")
    action = ScheduledAction.objects.create(
        idempotency_key="hello:once", customer=customer, event=event, step=0, kind="send",
        params={"template": "hello", "channel": "sms", "class": "transactional"}, due_at=timezone.now())

    worker = subprocess.Popen(
        [sys.executable, "example/manage.py", "masa_sweep"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example'}",
             "MASA_DB": "postgres", "PGDATABASE": connection.settings_dict["NAME"], "MASA_TEST_CHANNEL_HOSTS": "127.0.0.1"})
    assert holding_provider.first_arrived.wait(60), worker.communicate(timeout=5)[0]
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    holding_provider.release.set()

    action.refresh_from_db()
    assert action.status == "claimed" and not Delivery.objects.get().sent_at
    assert scheduling.sweep(now=timezone.now() + timedelta(seconds=60)) == {}
    recovered = scheduling.sweep(now=timezone.now() + timedelta(seconds=conf.seconds("CLAIM_LEASE") + 1))

    assert recovered == {"done": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts.filter(ok=True).count() == 1
    assert len(holding_provider.requests) == 2 and len(set(holding_provider.requests)) == 1
    assert list(holding_provider.delivered.values()) == [{"to": "+972500000001", "text": "Hi Ruth"}]
