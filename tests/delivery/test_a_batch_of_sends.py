"""A sweep sends its due messages in batches (issue 34): through one connection per channel, each
message still checked on its own — a second message to the same customer sees the first one's cap,
a provider's error fails that message alone — and a worker asked to stop stops between sends."""
from datetime import timedelta

import httpx
import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from masa.actions import due
from masa.channels import http
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db
NOW = timezone.now()


class CountingBackend(EmailBackend):
    """Django's in-memory e-mail, counting the connections opened."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return True


def due_message(customer, key: str, channel: str = "email", marketing: bool = False) -> ScheduledAction:
    event = StoreEvent.objects.create(source="django", source_id=f"o-{key}", name="order_placed", customer=customer,
                                      occurred_at=NOW - timedelta(days=1), status="processed")
    return ScheduledAction.objects.create(
        idempotency_key=key, customer=customer, event=event, step=0, kind="send", due_at=NOW - timedelta(minutes=1),
        params={"template": "hello", "channel": channel, "class": "marketing" if marketing else "transactional"})


def customers(count: int) -> list[Customer]:
    return [Customer.objects.create(email=f"c{n}@example.com", first_name=f"C{n}", phone=f"+9725000000{n:02}",
                                    marketing_consent=True) for n in range(count)]


@pytest.fixture
def hello():
    MessageTemplate.objects.create(key="hello", subject="Hi", body="Hello {{ customer.first_name }}")


def test_a_batch_of_e_mails_goes_through_one_connection(hello, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    Channel.objects.create(name="email", kind="email")
    for n, customer in enumerate(customers(5)):
        due_message(customer, f"hello:{n}")

    assert due.sweep(now=NOW) == {"done": 5}
    assert CountingBackend.opened == 1 and len(mailoutbox) == 5
    assert len({message.extra_headers["Message-ID"] for message in mailoutbox}) == 5


def test_texts_go_through_one_pooled_http_client(provider):
    assert http.client() is http.client()
    Channel.objects.create(name="sms", kind="sms", config={"provider": "http", "url": "https://sms.example/send"})
    MessageTemplate.objects.create(key="hello", body="Hello {{ customer.first_name }}")
    for n, customer in enumerate(customers(3)):
        due_message(customer, f"hello:{n}", channel="sms")

    assert due.sweep(now=NOW) == {"done": 3}
    assert len(provider.requests) == 3 and len({r.headers["Idempotency-Key"] for r in provider.requests}) == 3


def test_a_providers_refusal_fails_that_message_alone(hello, provider):
    Channel.objects.create(name="sms", kind="sms", config={"provider": "http", "url": "https://sms.example/send"})
    provider.answers = [httpx.Response(200, json={"id": "1"}), httpx.Response(400, text="bad number"),
                        httpx.Response(200, json={"id": "3"})]
    first, refused, third = (due_message(customer, f"hello:{n}", channel="sms")
                             for n, customer in enumerate(customers(3)))

    assert due.sweep(now=NOW) == {"done": 2, "failed": 1}
    statuses = dict(Delivery.objects.values_list("action_id", "status"))
    assert statuses == {first.pk: "sent", refused.pk: "failed", third.pk: "sent"}
    assert Channel.objects.get().consecutive_failures == 0


def test_a_second_message_to_the_same_customer_in_one_sweep_meets_the_first_ones_cap(hello, settings, mailoutbox):
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 1}}
    Channel.objects.create(name="email", kind="email")
    [ruth] = customers(1)
    due_message(ruth, "sale:1", marketing=True)
    second = due_message(ruth, "sale:2", marketing=True)

    assert due.sweep(now=NOW) == {"done": 1, "deferred": 1}
    assert len(mailoutbox) == 1
    second.refresh_from_db()
    assert second.status == "pending" and "1 marketing message(s) a day" in second.outcome


def test_a_worker_asked_to_stop_stops_between_sends_and_hands_back_the_rest(hello, mailoutbox):
    Channel.objects.create(name="email", kind="email")
    for n, customer in enumerate(customers(4)):
        due_message(customer, f"hello:{n}")

    assert due.sweep(now=NOW, stopped=lambda: len(mailoutbox) >= 1) == {"done": 1}, "asked once the first one went"
    assert len(mailoutbox) == 1
    assert sorted(ScheduledAction.objects.values_list("status", flat=True)) == ["done", "pending", "pending", "pending"]
    assert Delivery.objects.filter(status="sent").count() == 1


def test_a_customer_who_got_todays_message_earlier_waits_while_the_rest_of_the_batch_goes(hello, settings, mailoutbox):
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 1}}
    email = Channel.objects.create(name="email", kind="email")
    ruth, *others = customers(3)
    earlier = due_message(ruth, "sale:earlier", marketing=True)
    ScheduledAction.objects.filter(pk=earlier.pk).update(status="done")
    Delivery.objects.create(idempotency_key="sale:earlier", action=earlier, channel=email, customer=ruth, to=ruth.email,
                            body="Sale", status="sent", sent_at=NOW - timedelta(hours=3))
    waiting = due_message(ruth, "sale:now", marketing=True)
    for n, customer in enumerate(others):
        due_message(customer, f"sale:{n}", marketing=True)

    assert due.sweep(now=NOW) == {"done": 2, "deferred": 1}
    waiting.refresh_from_db()
    assert waiting.status == "pending" and waiting.due_at == NOW - timedelta(hours=3) + timedelta(days=1)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(customer.email for customer in others)
