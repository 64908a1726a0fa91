"""Store first, lose nothing: a WhatsApp webhook that arrives while no worker reads is kept as it
came, answered 200, and read later — by the worker, or again from *Needs attention*."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from example_site.celery import app
from masa.models import Delivery, InboundDelivery, StoreEvent
from masa.signals import inbound

from .whatsapp_meta import SENT_WAMID, post_whatsapp, ruth, sent, status_body, text_message  # noqa: F401
from .whatsapp_meta import whatsapp_channel  # noqa: F401

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


@pytest.fixture
def nobody_reading(settings):
    """No in-process reading (a site whose worker and evaluation are down)."""
    settings.MASA = {**settings.MASA, "WORKER": "embedded"}
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_a_body_stored_while_nobody_reads_is_read_later_by_the_worker(client, sent, ruth, nobody_reading):
    assert post_whatsapp(client, sent.channel, status_body("read", NOW)).status_code == 200
    assert post_whatsapp(client, sent.channel, text_message("Yes", NOW, context=SENT_WAMID)).status_code == 200

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"received"}
    assert not StoreEvent.objects.exists()
    assert Delivery.objects.get().status == "sent"

    call_command("masa_worker", "--once")

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"accepted"}
    assert sorted(StoreEvent.objects.values_list("name", flat=True)) == ["message_read", "message_replied"]
    assert Delivery.objects.get().status == "delivered"
    ruth.refresh_from_db()
    assert ruth.whatsapp_wrote_at == NOW


def test_a_body_whose_channel_was_deleted_before_it_was_read_fails_with_the_reason(client, sent, nobody_reading):
    post_whatsapp(client, sent.channel, status_body("delivered", NOW))
    sent.channel.delete()

    inbound.read()

    stored = InboundDelivery.objects.get()
    assert stored.status == "failed" and "channel was deleted" in stored.reason and stored.body
