"""A provider answering 500 for ten minutes: sends are retried, the circuit opens (the provider is
only probed) and closes again, every message ends sent or in the dead letter, and none is lost."""
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from masa.actions import due as scheduling
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
OUTAGE = timedelta(minutes=10)


@pytest.fixture
def twenty_due(db):
    Channel.objects.create(name="SMS", kind="sms", config={"provider": "http", "url": "https://sms.example/send"})
    MessageTemplate.objects.create(key="hello", body="Hi {{ customer.first_name }}")
    for n in range(20):
        customer = Customer.objects.create(email=f"c{n}@example.com", first_name=f"C{n}", phone=f"+97250000{n:04}")
        event = StoreEvent.objects.create(source="django", source_id=f"o-{n}", name="order_placed", customer=customer,
                                          occurred_at=T0, status="processed")
        ScheduledAction.objects.create(idempotency_key=f"hello:{n}", customer=customer, event=event, step=0, kind="send",
                                       params={"template": "hello", "channel": "sms", "class": "transactional"},
                                       due_at=T0)


def test_ten_minutes_of_500s_lose_nothing_and_the_circuit_opens_then_closes(twenty_due, provider, client):
    clock = {"now": T0}
    failing_requests = []

    def answer(request):
        if clock["now"] < T0 + OUTAGE:
            failing_requests.append(clock["now"])
            return httpx.Response(500, text="provider down")
        return httpx.Response(200, json={"id": "ok"})

    provider.respond = answer
    circuit_seen_open = False
    for step in range(0, 41 * 60, 30):
        clock["now"] = T0 + timedelta(seconds=step)
        scheduling.sweep(now=clock["now"])
        channel = Channel.objects.get()
        circuit_seen_open |= bool(channel.circuit_open_until and channel.circuit_open_until > clock["now"])

    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert len(statuses) == 20 and set(statuses) <= {"sent", "dead"}
    assert not ScheduledAction.objects.exclude(status__in=["done", "failed"]).exists()
    assert circuit_seen_open and len(failing_requests) < 20
    channel = Channel.objects.get()
    assert channel.consecutive_failures == 0 and channel.last_success_at is not None

    if "dead" in statuses:
        from ..helpers import editor

        client.force_login(editor())
        client.post("/admin/masa/failures/", {"do": "retry_actions"})
        scheduling.sweep(now=T0 + timedelta(hours=1))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert Delivery.objects.filter(attempts__ok=True).distinct().count() == 20
