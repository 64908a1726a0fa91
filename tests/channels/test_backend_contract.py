"""Every configured channel backend (MASA["CHANNEL_BACKENDS"]) passes the same cases, as
django-anymail's backends share their test cases: it describes itself, sends and names the
provider's id, maps failures to transient or permanent, and gives a re-sent message the same id."""
import json
import smtplib

import httpx
import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from masa.channels import (OutgoingMessage, PermanentChannelError, TransientChannelError, backend_class, backends,
                           kind_choices)
from masa.models import Channel, Customer

pytestmark = pytest.mark.django_db

SETTINGS = {
    "email": ({"from_email": "shop@example.com"}, {}),
    "sms": ({"url": "https://sms.example/send"}, {"token": "t"}),
    "webhook": ({"url": "https://hooks.example/in"}, {"signing_secret": "s"}),
    "whatsapp": ({"phone_number_id": "106540352242922"}, {"access_token": "EAAG", "app_secret": "a"}),
}
# What a provider answers a send with, where it is not the fake provider's default.
ANSWERS = {"whatsapp": {"messaging_product": "whatsapp",
                        "contacts": [{"input": "972500000001", "wa_id": "972500000001"}],
                        "messages": [{"id": "wamid.HBgMOTcyNTAwMDAwMDAxFQIAERgSMDA="}]}}
MESSAGE = OutgoingMessage(to="", subject="Hello", body="Hi there", key="rule:customer:1:step:0")


def channel(kind):
    config, secrets = SETTINGS[kind]
    return Channel.objects.create(name=kind, kind=kind, config=config, secrets=secrets)


def message_for(kind):
    to = "+972500000001" if backend_class(kind).address_field == "phone" else "ruth@example.com"
    return OutgoingMessage(**{**MESSAGE.__dict__, "to": to, "window_open": True})


def answering(kind, provider):
    if kind in ANSWERS:
        provider.respond = lambda request: httpx.Response(200, json=ANSWERS[kind])


def fail(kind, monkeypatch, provider, transient: bool):
    if kind == "email":
        error = smtplib.SMTPServerDisconnected("gone") if transient else smtplib.SMTPRecipientsRefused({"x": (550, b"no")})

        def refuse(self, *args, **kwargs):
            raise error
        monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    else:
        provider.answers = [httpx.Response(503 if transient else 400, text="no")]


KINDS = sorted(backends())


@pytest.mark.parametrize("kind", KINDS)
def test_it_describes_itself(kind):
    backend = backend_class(kind)
    assert backend.kind == kind and backend.label and backend.description and backend.available_providers()
    for provider in backend.providers:
        names = [setting.name for setting in provider.settings]
        assert provider.label and provider.description and len(names) == len(set(names))
    assert backend.address_field in {field.name for field in Customer._meta.fields}
    assert (kind, backend.label) in kind_choices() and kind in SETTINGS


@pytest.mark.parametrize("kind", KINDS)
def test_a_send_returns_the_providers_id(kind, provider):
    answering(kind, provider)
    result = backend_class(kind)(channel(kind)).send(message_for(kind))
    assert result.provider_message_id
    assert mail.outbox if kind == "email" else provider.requests


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("transient", [True, False], ids=["transient", "permanent"])
def test_failures_are_transient_or_permanent(kind, transient, provider, monkeypatch):
    fail(kind, monkeypatch, provider, transient)
    with pytest.raises(TransientChannelError if transient else PermanentChannelError):
        backend_class(kind)(channel(kind)).send(message_for(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_a_message_sent_again_carries_the_same_id(kind, provider):
    answering(kind, provider)
    backend = backend_class(kind)(channel(kind))
    backend.send(message_for(kind))
    backend.send(message_for(kind))
    if kind == "email":
        assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]
    elif kind == "whatsapp":  # the Cloud API has no idempotency key: Meta echoes this in its status webhooks
        ids = [json.loads(request.content)["biz_opaque_callback_data"] for request in provider.requests[-2:]]
        assert ids[0] and ids[0] == ids[1]
    else:
        keys = [request.headers.get("Idempotency-Key") for request in provider.requests[-2:]]
        assert keys[0] and keys[0] == keys[1]
