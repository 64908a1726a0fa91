"""Channels in the admin: secrets are write-only (never in the page, not even after an error),
health is shown, a test send records the outcome, and only editors configure channels."""
import httpx
import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import Channel

from ..helpers import denied, editor, viewer

pytestmark = pytest.mark.django_db

SECRET = "sk_live_do-not-leak-4242"


@pytest.fixture
def sms(db):
    return Channel.objects.create(name="Shop SMS", kind="sms", config={"provider": "http", "url": "https://sms.example/send"},
                                  secrets={"token": SECRET})


def form_data(channel, **changes):
    import json

    data = {"name": channel.name, "kind": channel.kind, "enabled": "on", "config": json.dumps(channel.config),
            "set_secrets": ""}
    data.update(changes)
    return data


def test_a_stored_secret_is_named_but_never_shown(client, sms):
    client.force_login(editor())
    page = client.get(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])).content.decode()
    assert "Stored now: token" in page
    assert SECRET not in page
    listing = client.get(reverse("wagtailsnippets_masa_channel:list")).content.decode()
    assert SECRET not in listing and "Circuit: closed" in listing


def test_saving_without_secrets_keeps_them_and_new_ones_are_added(client, sms):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    assert client.post(url, form_data(sms)).status_code == 302
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET}
    client.post(url, form_data(sms, set_secrets="auth_token = new-one\n"))
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET, "auth_token": "new-one"}
    client.post(url, form_data(sms, remove_secrets=["token"]))
    assert Channel.objects.get(pk=sms.pk).secrets == {"auth_token": "new-one"}


def test_a_typed_secret_is_not_sent_back_when_the_form_has_an_error(client, sms):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    response = client.post(url, form_data(sms, name="", set_secrets=f"token={SECRET}-typed"))
    assert response.status_code == 200
    assert f"{SECRET}-typed" not in response.content.decode()
    response = client.post(url, form_data(sms, set_secrets="just-a-value"))
    assert "line 1: write NAME=value" in response.content.decode()


def test_secrets_never_reach_the_audit_log(client, sms):
    client.force_login(editor())
    client.post(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk]), form_data(sms, set_secrets="token=rotated-77"))
    assert ModelLogEntry.objects.filter(object_id=str(sms.pk)).exists()
    for entry in ModelLogEntry.objects.all():
        assert "rotated-77" not in str(entry.data) and SECRET not in str(entry.data)


def test_test_send_reports_and_records_health(client, email_channel):
    user = editor()
    client.force_login(user)
    url = reverse("masa_channel_test", args=[email_channel.pk])
    assert "Last success" in client.get(url).content.decode()
    response = client.post(url, {"to": "owner@shop.example", "text": "Is this thing on?"}, follow=True)
    assert "Sent to owner@shop.example" in response.content.decode()
    assert mail.outbox[-1].body == "Is this thing on?"
    assert Channel.objects.get(pk=email_channel.pk).last_success_at is not None
    assert ModelLogEntry.objects.get(action="masa.channel.test").data == {"ok": True}


def test_a_failing_test_send_shows_the_error(client, sms, provider):
    provider.answers = [httpx.Response(500, text="provider down")] * 5
    client.force_login(editor())
    response = client.post(reverse("masa_channel_test", args=[sms.pk]), {"to": "+972500000000", "text": "hi"}, follow=True)
    assert "temporary failure" in response.content.decode()
    assert "provider down" in Channel.objects.get(pk=sms.pk).last_error


def test_viewers_cannot_configure_channels_or_send_tests(client, sms):
    client.force_login(viewer())
    assert denied(client.post(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk]), form_data(sms, set_secrets="token=x")))
    assert denied(client.post(reverse("masa_channel_test", args=[sms.pk]), {"to": "+1", "text": "x"}))
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET}
