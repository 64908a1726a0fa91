"""SMS and signed-webhook channels against a fake provider at the httpx transport."""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx
import pytest

from masa.actions import due as scheduling
from masa.channels import OutgoingMessage, PermanentChannelError, TransientChannelError, backend_for
from masa.channels.webhook import signature
from masa.models import Channel, Customer, Delivery, Rule, ScheduledAction

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
MESSAGE = OutgoingMessage(to="+972501234567", subject="", body="Time to restock, Ruth?")


def channel(kind, config, secrets):
    return Channel.objects.create(name=f"{kind}-{len(config)}", kind=kind, config=config, secrets=secrets)


def test_generic_sms_posts_json_with_the_bearer_token_and_keeps_the_provider_id(provider):
    sms = channel("sms", {"provider": "http", "url": "https://sms.example.com/send", "from_number": "Shop"},
                  {"token": "s3cret"})
    result = backend_for(sms).send(MESSAGE)
    [request] = provider.requests
    assert request.headers["authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == {"to": "+972501234567", "text": "Time to restock, Ruth?", "from": "Shop"}
    assert result.provider_message_id == "msg-1"


def test_twilio_sms_is_form_encoded_with_basic_auth_on_the_account_url(provider):
    sms = channel("sms", {"provider": "twilio", "account_sid": "AC123", "from_number": "+15550001111"},
                  {"auth_token": "tok"})
    result = backend_for(sms).send(MESSAGE)
    [request] = provider.requests
    assert str(request.url) == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert request.headers["authorization"] == httpx.BasicAuth("AC123", "tok")._auth_header
    assert parse_qs(request.content.decode()) == {"To": ["+972501234567"], "From": ["+15550001111"],
                                                  "Body": ["Time to restock, Ruth?"]}
    assert result.provider_message_id == "SM1"


@pytest.mark.parametrize("answer, error", [
    (httpx.Response(503, text="busy"), TransientChannelError),
    (httpx.Response(429, text="slow down"), TransientChannelError),
    (httpx.ConnectError("refused"), TransientChannelError),
    (httpx.ReadTimeout("slow"), TransientChannelError),
    (httpx.Response(400, json={"error": "invalid number"}), PermanentChannelError),
    (httpx.Response(401, text="bad token"), PermanentChannelError),
])
def test_provider_failures_become_transient_or_permanent(provider, answer, error):
    provider.answers = [answer]
    sms = channel("sms", {"url": "https://sms.example.com/send"}, {})
    with pytest.raises(error):
        backend_for(sms).send(MESSAGE)


def test_an_sms_without_a_phone_number_is_a_permanent_failure(provider):
    with pytest.raises(PermanentChannelError, match="no phone number"):
        backend_for(channel("sms", {"url": "https://sms.example.com/send"}, {})).send(
            OutgoingMessage(to="", subject="", body="hi"))
    assert provider.requests == []


def test_the_webhook_signature_verifies_with_the_secret_and_not_with_another(provider):
    hook = channel("webhook", {"url": "https://shop.example.com/hooks/masa"}, {"signing_secret": "whsec"})
    result = backend_for(hook).send(OutgoingMessage(to="ruth@example.com", subject="Hi", body="Hello"))
    [request] = provider.requests
    timestamp, sent = request.headers["x-masa-timestamp"], request.headers["x-masa-signature"]
    expected = "sha256=" + hmac.new(b"whsec", timestamp.encode() + b"." + request.content, hashlib.sha256).hexdigest()
    assert sent == expected == signature("whsec", timestamp, request.content)
    assert sent != signature("other", timestamp, request.content)
    assert json.loads(request.content)["id"] == result.provider_message_id


def test_a_due_sms_reminder_is_sent_once_and_a_5xx_is_retried_by_the_sweep(client, signing_store, provider):
    from masa.models import MessageTemplate

    now = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    MessageTemplate.objects.create(key="refill-sms", body="Hi {{ customer.first_name }}, time to restock.")
    Rule.objects.create(rule_id="refill-sms", title="Refill by SMS", definition={
        "trigger": {"event": "order_placed", "category": "absorbent"},
        "steps": [{"wait": "25d"}, {"send": {"channel": "sms", "template": "refill-sms"}}]})
    channel("sms", {"url": "https://sms.example.com/send"}, {"token": "t"})
    post_signed(client, signing_store, "order_created", order_payload(when=now, email="ruth@example.com"))
    Customer.objects.update(phone="+972501234567", first_name="Ruth", sms_consent=True)  # SMS's own consent
    provider.answers = [httpx.Response(502, text="gateway")]

    due = now + timedelta(days=26)
    assert scheduling.sweep(now=due) == {"retry": 1}
    assert scheduling.sweep(now=due + timedelta(hours=1)) == {"done": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.to == "+972501234567" and delivery.provider_message_id == "msg-1"
    assert [json.loads(r.content)["text"] for r in provider.requests] == ["Hi Ruth, time to restock."] * 2
    assert ScheduledAction.objects.get().status == "done"


def test_a_failing_channel_opens_its_circuit_defers_sends_and_closes_after_a_good_probe(
        client, signing_store, provider, settings):
    from masa.models import MessageTemplate

    settings.MASA = {**settings.MASA, "CIRCUIT_FAILURES": 3, "CIRCUIT_OPEN_FOR": "10m"}
    now = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    MessageTemplate.objects.create(key="hello-sms", body="Hello")
    Rule.objects.create(rule_id="hello-sms", title="Hello by SMS", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1d"}, {"send": {"channel": "sms", "template": "hello-sms"}}]})
    sms = channel("sms", {"url": "https://sms.example.com/send"}, {})
    for i in range(5):
        post_signed(client, signing_store, "order_created",
                    order_payload(when=now, email=f"c{i}@example.com", user_id=f"user-{i}"))
    Customer.objects.update(phone="+972501234567", sms_consent=True)  # marketing by SMS needs SMS's own consent
    provider.answers = [httpx.Response(503, text="down")] * 3

    due = now + timedelta(days=1)
    assert scheduling.sweep(now=due) == {"retry": 3, "deferred": 2}
    sms.refresh_from_db()
    assert sms.consecutive_failures == 3 and sms.circuit_open_until == due + timedelta(seconds=600)
    deferred = ScheduledAction.objects.filter(outcome__contains="is failing (3 errors in a row)")
    assert deferred.count() == 2 and {a.due_at for a in deferred} == {sms.circuit_open_until}
    assert len(provider.requests) == 3

    assert scheduling.sweep(now=due + timedelta(minutes=5)) == {"deferred": 3}
    assert len(provider.requests) == 3
    assert scheduling.sweep(now=due + timedelta(hours=2)) == {"done": 5}
    sms.refresh_from_db()
    assert sms.consecutive_failures == 0 and sms.circuit_open_until is None


def test_the_test_send_command_reports_success_and_failure_on_the_channel(provider, capsys):
    from django.core.management import CommandError, call_command

    sms = channel("sms", {"url": "https://sms.example.com/send"}, {})
    call_command("masa_channel_test", sms.name, "--to", "+972501234567")
    assert "sent to +972501234567 (provider id msg-1)" in capsys.readouterr().out
    provider.answers = [httpx.Response(401, text="bad token")]
    with pytest.raises(CommandError, match="permanent failure: 401 Unauthorized: bad token"):
        call_command("masa_channel_test", sms.name, "--to", "+972501234567")
    sms.refresh_from_db()
    assert sms.last_success_at and sms.last_error == "test send: 401 Unauthorized: bad token"
    with pytest.raises(CommandError, match="no channel named 'nope'"):
        call_command("masa_channel_test", "nope", "--to", "x")
