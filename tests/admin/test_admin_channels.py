"""Channels in the admin: secrets are write-only (never in the page, not even after an error),
health is shown in words, a test send records the outcome, and only editors configure channels."""
from unittest.mock import ANY

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
    return Channel.objects.create(name="Shop SMS", kind="sms", config={"provider": "http", "url": "https://sms.example/send",
                                                                       "from_number": "+972501112222"},
                                  secrets={"token": SECRET})


def form_data(channel, **changes):
    """What the edit form posts when the owner changes nothing (secret fields left blank)."""
    data = {"name": channel.name, "enabled": "on", "provider": "http", "setting_url": channel.config["url"],
            "setting_from_number": channel.config["from_number"], "setting_token": ""}
    data.update(changes)
    return data


def test_a_stored_secret_is_said_to_be_set_but_never_shown(client, sms):
    client.force_login(editor())
    page = client.get(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])).content.decode()
    assert "Set — leave blank to keep it." in page and 'type="password"' in page
    assert SECRET not in page
    listing = client.get(reverse("wagtailsnippets_masa_channel:list")).content.decode()
    assert SECRET not in listing and "Nothing sent yet" in listing


def test_a_blank_secret_keeps_the_stored_one_and_a_typed_one_replaces_it(client, sms):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    assert client.post(url, form_data(sms)).status_code == 302
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET, "inbound_token": ANY}
    client.post(url, form_data(sms, setting_token="new-one"))
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": "new-one", "inbound_token": ANY}


def test_a_typed_secret_is_not_sent_back_when_the_form_has_an_error(client, sms):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    response = client.post(url, form_data(sms, name="", setting_token=f"{SECRET}-typed"))
    assert response.status_code == 200
    assert f"{SECRET}-typed" not in response.content.decode()
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET}


def test_secrets_never_reach_the_audit_log(client, sms):
    client.force_login(editor())
    client.post(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk]), form_data(sms, setting_token="rotated-77"))
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": "rotated-77", "inbound_token": ANY}
    assert ModelLogEntry.objects.filter(object_id=str(sms.pk)).exists()
    for entry in ModelLogEntry.objects.all():
        assert "rotated-77" not in str(entry.data) and SECRET not in str(entry.data)


def test_test_send_reports_and_records_health(client, email_channel):
    user = editor()
    client.force_login(user)
    url = reverse("masa_channel_test", args=[email_channel.pk])
    assert "Nothing sent yet" in client.get(url).content.decode()
    response = client.post(url, {"to": "owner@shop.example"}, follow=True)
    assert "A test went to \u2068owner@shop.example\u2069" in response.content.decode()
    assert mail.outbox[-1].body == "Test message from Masa: this channel works."
    assert Channel.objects.get(pk=email_channel.pk).last_success_at is not None
    assert ModelLogEntry.objects.get(action="masa.channel.test").data == {"ok": True}
    assert "Working: last sent a moment ago" in client.get(url).content.decode()


def test_a_failing_test_send_shows_the_error(client, sms, provider):
    provider.answers = [httpx.Response(500, text="provider down")] * 5
    client.force_login(editor())
    response = client.post(reverse("masa_channel_test", args=[sms.pk]), {"to": "+972500000000"}, follow=True)
    page = response.content.decode()
    assert "The test did not go through" in page and "temporary failure" in page
    assert "provider down" in Channel.objects.get(pk=sms.pk).last_error
    assert "Not working: the last try" in page


def test_viewers_cannot_configure_channels_or_send_tests(client, sms):
    client.force_login(viewer())
    assert denied(client.post(reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk]), form_data(sms, setting_token="x")))
    assert denied(client.post(reverse("masa_channel_test", args=[sms.pk]), {"to": "+1"}))
    assert denied(client.get(reverse("wagtailsnippets_masa_channel:add")))
    assert denied(client.get(reverse("masa_channel_providers", args=[sms.pk])))
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": SECRET}
