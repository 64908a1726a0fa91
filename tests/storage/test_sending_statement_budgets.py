"""Statement budgets of sending (issue 34): how many SQL statements a sweep of N due messages
costs. A batch reads its actions, channels, templates and Deliveries once and writes its Deliveries,
attempts, ``message_sent`` events and outcomes together, so plain sends cost nothing per message
beyond the batch's own statements (19 per message before issue 34). A marketing cap is still
counted for each message, from the messages its customer got, read once per round of the batch
(one statement). Counts, not times."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masa.actions import due
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent

pytestmark = pytest.mark.django_db

BATCH_BUDGET = 22       # the claim and one batch of sends, savepoints included: 22 measured
PER_MESSAGE = 0         # what one more message of the batch costs: nothing (19 statements before issue 34)
CAP_READ = 1            # with a marketing cap on: the messages the round's customers got, read once


def due_messages(count: int, marketing: bool = False) -> None:
    Channel.objects.get_or_create(name="email", kind="email")
    MessageTemplate.objects.get_or_create(key="hello", subject="Hi {{ customer.first_name }}",
                                          body="Hello {{ customer.first_name }}")
    now = timezone.now()
    tag = f"{count}-{'marketing' if marketing else 'transactional'}"
    for n in range(count):
        customer = Customer.objects.create(email=f"c{n}-{tag}@example.com", first_name="Ruth",
                                           marketing_consent=True)
        event = StoreEvent.objects.create(source="django", source_id=f"o-{n}-{tag}", name="order_placed",
                                          customer=customer, occurred_at=now, status="processed")
        ScheduledAction.objects.create(
            idempotency_key=f"hello:{n}:{tag}", customer=customer, event=event, step=0, kind="send",
            params={"template": "hello", "channel": "email", "class": "marketing" if marketing else "transactional"},
            due_at=now - timedelta(minutes=1))


def statements_to_send(count: int, marketing: bool = False) -> int:
    due_messages(count, marketing)
    with CaptureQueriesContext(connection) as sweep:
        assert due.sweep() == {"done": count}
    assert Delivery.objects.filter(status="sent").count() == count
    ScheduledAction.objects.all().delete()
    return len(sweep.captured_queries)


def test_sending_a_batch_costs_the_same_statements_for_3_messages_as_for_40(mailoutbox):
    few, many = statements_to_send(3), statements_to_send(40)
    assert few <= BATCH_BUDGET
    assert many - few <= PER_MESSAGE * (40 - 3), f"{few} statements for 3 messages, {many} for 40"
    assert len(mailoutbox) == 43


def test_a_marketing_cap_reads_what_the_customers_got_once_per_batch(settings, mailoutbox):
    plain = statements_to_send(3)
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 3}}
    few, many = statements_to_send(3, marketing=True), statements_to_send(40, marketing=True)
    assert few == plain + CAP_READ and many == few, f"{few} statements for 3 messages, {many} for 40"
