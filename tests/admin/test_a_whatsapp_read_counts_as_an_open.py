"""A WhatsApp read receipt is an open wherever opens are counted: the customer's engagement and
the journey's "customers who opened this message"."""
from datetime import timedelta

import pytest
from django.urls import reverse

from masa.admin.engagement import engagement
from masa.eventstore import record_message_event as record
from masa.models import Customer, Delivery, StoreEvent

from ..helpers import NOW, viewer
from .test_admin_journey import PERIOD, three_customers  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_not_opened(three_customers):
    """Ruth's reminder was read on WhatsApp, not opened as an e-mail."""
    StoreEvent.objects.filter(name="message_opened").delete()
    delivery = Delivery.objects.get(customer__email="ruth@example.com")
    record(delivery, "message_read", f"message_read:{delivery.idempotency_key}", channel="whatsapp")
    return delivery


def test_the_journey_lists_a_reader_among_those_who_opened(client, read_not_opened):
    client.force_login(viewer())
    opened = client.get(reverse("masa_customers"), {"rule": "refill-absorbent", "step": "steps[2]", "state": "opened",
                                                    **PERIOD}).content.decode()
    assert "ruth@example.com" in opened and "dana@example.com" not in opened


def test_the_customers_engagement_counts_a_read_as_opened(read_not_opened):
    months, _ = engagement(Customer.objects.get(email="ruth@example.com"), now=NOW + timedelta(days=40))
    assert sum(month.opened for month in months) == 1
