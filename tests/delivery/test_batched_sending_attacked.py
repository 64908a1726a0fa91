"""Reviewer R2's attacks on sending in batches (95f0485): what changes while a batch is being sent.

A round's sends stop starting after ``due.ROUND_SECONDS`` (1 s); the rest are read and checked
again, so a change is honoured from the next round on. With ``ROUND_SECONDS = 0`` every send is a
round of its own: the tests below pin that each round reads and checks afresh."""
from datetime import timedelta

import httpx
import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.utils import timezone

from masa import privacy
from masa.actions import due
from masa.channels import http
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent

NOW = timezone.now()


class MeddlingBackend(EmailBackend):
    """Django's in-memory e-mail; while the first message is being sent, ``meddle`` runs once (what
    another process — an unsubscribe click, an erasure request — does in the meantime)."""

    meddle = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        meddle, MeddlingBackend.meddle = MeddlingBackend.meddle, None
        if meddle is not None:
            meddle()
        return sent


def due_marketing(customer, key: str, minutes_ago: int) -> ScheduledAction:
    event = StoreEvent.objects.create(source="django", source_id=f"o-{key}", name="order_placed", customer=customer,
                                      occurred_at=NOW - timedelta(days=1), status="processed")
    return ScheduledAction.objects.create(
        idempotency_key=key, customer=customer, event=event, step=0, kind="send",
        due_at=NOW - timedelta(minutes=minutes_ago),
        params={"template": "hello", "channel": "email", "class": "marketing"})


@pytest.fixture
def two_customers(settings, monkeypatch):
    monkeypatch.setattr(due, "ROUND_SECONDS", 0)  # each send a round of its own (see the module's docstring)
    settings.EMAIL_BACKEND = f"{__name__}.MeddlingBackend"
    MeddlingBackend.meddle = None
    Channel.objects.create(name="email", kind="email")
    MessageTemplate.objects.create(key="hello", subject="Hi", body="Hello {{ customer.first_name }}")
    ruth = Customer.objects.create(email="ruth@example.com", first_name="Ruth", marketing_consent=True)
    dana = Customer.objects.create(email="dana@example.com", first_name="Dana", marketing_consent=True)
    due_marketing(ruth, "sale:ruth", minutes_ago=10)
    due_marketing(dana, "sale:dana", minutes_ago=5)
    return ruth, dana


@pytest.mark.django_db
def test_a_customer_who_unsubscribes_while_the_batch_is_sending_gets_no_marketing(two_customers, mailoutbox):
    ruth, dana = two_customers
    MeddlingBackend.meddle = lambda: Customer.objects.filter(pk=dana.pk).update(marketing_consent=False)

    due.sweep(now=NOW)

    assert [m.to[0] for m in mailoutbox] == ["ruth@example.com"], "Dana had withdrawn her consent before her send"


def _erase_while_sending(dana):
    def erase_dana():
        with transaction.atomic():
            privacy.erase_customer(dana, by="test")
    MeddlingBackend.meddle = erase_dana
    try:
        due.sweep(now=NOW)
    except Exception:  # noqa: BLE001 - what the sweep leaves behind is what is asserted
        pass


@pytest.mark.django_db(transaction=True)
def test_a_customer_erased_while_the_batch_is_sending_is_not_written_to(two_customers, mailoutbox):
    ruth, dana = two_customers
    _erase_while_sending(dana)

    assert "dana@example.com" not in [m.to[0] for m in mailoutbox], "Dana was erased before her send"


@pytest.mark.django_db(transaction=True)
def test_an_erasure_during_a_batch_does_not_make_the_next_sweep_resend_the_others(two_customers, mailoutbox):
    ruth, dana = two_customers
    _erase_while_sending(dana)

    assert Delivery.objects.get(idempotency_key="sale:ruth").status == "sent", \
        "Ruth's message went: it must be recorded, or the next sweep sends it again"
    ScheduledAction.objects.filter(status="claimed").update(claimed_at=NOW - timedelta(days=1))  # the lease ran out
    due.sweep(now=NOW + timedelta(hours=2))
    assert [m.to[0] for m in mailoutbox].count("ruth@example.com") == 1


@pytest.mark.django_db
def test_a_channel_turned_off_while_the_batch_is_sending_sends_no_more(two_customers, mailoutbox):
    MeddlingBackend.meddle = lambda: Channel.objects.filter(name="email").update(enabled=False)

    due.sweep(now=NOW)

    assert [m.to[0] for m in mailoutbox] == ["ruth@example.com"], "the owner turned e-mail off before Dana's send"


def test_the_pooled_http_client_keeps_no_cookies_an_endpoint_sets(provider):
    provider.respond = lambda request: httpx.Response(
        200, json={"id": "1"}, headers={"Set-Cookie": f"track{len(provider.requests)}=x; Path=/"})
    for n in range(20):
        http.exchange(httpx.Request("POST", f"https://hooks.example/{n}", json={}))

    assert len(http.client().cookies.jar) == 0, "a webhook endpoint grows a long-lived worker's memory at will"


@pytest.mark.django_db
def test_within_one_round_the_second_send_goes_on_what_was_checked_at_the_rounds_start(two_customers, mailoutbox,
                                                                                     monkeypatch):
    """The other side of ROUND_SECONDS: inside a round (the default 1 s) the checks made at its start
    stand — what this test pins is that the bound is the round, not the batch."""
    monkeypatch.setattr(due, "ROUND_SECONDS", 3600)
    ruth, dana = two_customers
    MeddlingBackend.meddle = lambda: Customer.objects.filter(pk=dana.pk).update(marketing_consent=False)

    due.sweep(now=NOW)

    assert [m.to[0] for m in mailoutbox] == ["ruth@example.com", "dana@example.com"]
