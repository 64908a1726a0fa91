"""Issue 19, item 13: a broadcast — "to everyone in segment X, now or at a date" — fans out as
one scheduled action per customer, with consent and caps applied when each falls due."""
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from masa.models import Broadcast, Channel, Customer, Delivery, MessageTemplate, Rule, ScheduledAction
from masa.rules.broadcast import BroadcastError, cancel_broadcast, fan_out, fan_out_due, progress, start_broadcast
from masa.actions.due import sweep

pytestmark = pytest.mark.django_db

CONCERT = {"trigger": {"event": "broadcast"}, "conditions": [{"fact": "facts.city", "value": "haifa"}],
           "steps": [{"send": {"template": "concert"}}]}


def shop(customers: int = 7):
    Channel.objects.create(name="email", kind="email")
    MessageTemplate.objects.create(key="concert", subject="A concert in Haifa", body="Hi {{ customer.first_name }}")
    rule = Rule.objects.create(rule_id="haifa-concert", title="Concert", definition=CONCERT)
    Rule.objects.create(rule_id="other-broadcast", title="Other", definition={**CONCERT, "conditions": []})
    for n in range(customers):
        Customer.objects.create(email=f"c{n}@example.com", first_name=f"C{n}", marketing_consent=n != 1,
                                facts={"city": "haifa" if n % 2 else "acre"})
    return rule


def run_worker():
    from masa.worker import run_once

    with TestCase.captureOnCommitCallbacks(execute=True):
        while fan_out_due(batch=3):
            pass
    run_once()


def test_a_broadcast_reaches_everyone_in_the_segment_as_their_own_scheduled_send(provider):
    rule = shop()
    broadcast = start_broadcast(rule, None, by="dana")
    run_worker()
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SCHEDULED and broadcast.progress == 100
    sent = sorted(Delivery.objects.filter(status="sent").values_list("to", flat=True))
    assert sent == ["c3@example.com", "c5@example.com"]   # Haifa, with consent (c1 has none)
    assert broadcast.customers_skipped == 1
    assert progress(broadcast)["actions"]["done"] == 2
    assert not ScheduledAction.objects.filter(rule__rule_id="other-broadcast").exists()  # for its own rule only


def test_a_broadcast_at_a_date_waits_for_it_and_a_cap_defers_it(settings, provider):
    settings.MASA = {**settings.MASA, "MARKETING_CAPS": {"day": 1}}
    rule = shop(customers=4)
    send_at = timezone.now() + timedelta(days=3)
    broadcast = start_broadcast(rule, send_at, by="dana")
    run_worker()
    actions = ScheduledAction.objects.filter(rule=rule)
    assert actions.count() == 1 and abs((actions.get().due_at - send_at).total_seconds()) < 1   # c3 only
    Delivery.objects.create(customer=Customer.objects.get(email="c3@example.com"), to="c3@example.com",
                            idempotency_key="earlier", status="sent", sent_at=send_at - timedelta(hours=1),
                            action=ScheduledAction.objects.create(
                                idempotency_key="earlier", customer=Customer.objects.get(email="c3@example.com"),
                                event=actions.get().event, step=0, params={"class": "marketing"}, status="done",
                                due_at=send_at))
    assert sweep(now=send_at) == {"deferred": 1}
    assert "1 marketing message(s) a day" in actions.get(rule=rule).outcome and progress(broadcast)["actions"]["pending"] == 1


def test_a_cancelled_broadcast_sends_nothing_more_and_says_who_cancelled_it(provider):
    rule = shop()
    broadcast = start_broadcast(rule, timezone.now() + timedelta(days=1), by="dana")
    with TestCase.captureOnCommitCallbacks(execute=True):
        fan_out(broadcast, batch=100)
    from masa.worker import run_once

    run_once()
    assert cancel_broadcast(broadcast, by="noa") == 2
    assert set(ScheduledAction.objects.filter(rule=rule).values_list("cancel_reason", flat=True)) == {
        "broadcast cancelled by noa"}
    assert fan_out(broadcast) == 0


def test_only_a_live_broadcast_rule_can_be_broadcast():
    rule = shop(customers=0)
    Rule.objects.filter(pk=rule.pk).update(definition={**CONCERT, "trigger": {"event": "order_placed"}})
    rule.refresh_from_db()
    with pytest.raises(BroadcastError, match="trigger is `{event: broadcast}`"):
        start_broadcast(rule, None, by="dana")


def test_an_editor_starts_a_broadcast_in_the_admin_follows_it_and_cancels_it(client, provider):
    from django.urls import reverse

    from ..helpers import denied, editor, viewer

    rule = shop()
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    staff, watcher = editor(), viewer()
    client.force_login(watcher)
    assert denied(client.get(reverse("masa_rule_broadcast", args=[rule.pk])))
    assert denied(client.post(reverse("masa_rule_broadcast", args=[rule.pk]), {"when": "now", "confirm": "on"}))
    assert client.get(reverse("masa_broadcasts")).status_code == 200 and not Broadcast.objects.exists()

    client.force_login(staff)
    page = client.get(reverse("masa_rule_broadcast", args=[rule.pk])).content.decode()
    assert "each of the shop&#x27;s 7 customers" in page or "each of the shop's 7 customers" in page
    refused = client.post(reverse("masa_rule_broadcast", args=[rule.pk]), {"when": "later"})
    assert refused.status_code == 200 and not Broadcast.objects.exists()
    response = client.post(reverse("masa_rule_broadcast", args=[rule.pk]),
                           {"when": "later", "send_at": later, "confirm": "on"})
    assert response.status_code == 302 and Broadcast.objects.get().created_by == "edna"
    run_worker()
    listing = client.get(reverse("masa_broadcasts")).content.decode()
    assert "Concert" in listing and "7 of 7" in listing and "(1 without marketing consent)" in listing

    client.force_login(watcher)
    assert denied(client.post(reverse("masa_broadcast_cancel", args=[Broadcast.objects.get().pk])))
    client.force_login(staff)
    client.post(reverse("masa_broadcast_cancel", args=[Broadcast.objects.get().pk]))
    assert Broadcast.objects.get().status == "cancelled"
    assert set(ScheduledAction.objects.filter(rule=rule).values_list("status", flat=True)) == {"cancelled"}


def test_the_demos_sweeper_alone_sends_a_broadcast(provider):
    """A site that runs only ``manage.py masa_sweep --loop`` (the demo, no Celery beat) still
    reaches a broadcast's customers and sends to them."""
    from django.core.management import call_command

    rule = shop()
    broadcast = start_broadcast(rule, None, by="dana")
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("masa_sweep")
    call_command("masa_sweep")
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SCHEDULED
    assert sorted(Delivery.objects.filter(status="sent").values_list("to", flat=True)) == \
        ["c3@example.com", "c5@example.com"]
