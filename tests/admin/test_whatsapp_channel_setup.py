"""Adding a WhatsApp channel in the admin: its settings in words, the token and app secret write-only,
a verify token made when left empty and shown back (the owner copies it into Meta's webhook
settings), and a test from the same page that sends the approved test template to one's own phone,
saying in words how it went."""
import html
import json
import re

import httpx
import pytest
from django.urls import reverse

from masa.models import Channel

from ..helpers import editor

pytestmark = pytest.mark.django_db
ADD = "wagtailsnippets_masa_channel:add"
WHATSAPP = {"name": "Shop WhatsApp", "enabled": "on", "kind": "whatsapp", "provider": "cloud_api",
            "setting_phone_number_id": "106540352242922", "setting_access_token": "EAAGm0PX4ZCps",
            "setting_app_secret": "app-s3cret"}


def text(response) -> str:
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    return re.sub("[\u2066-\u2069]", "", words)


@pytest.fixture
def owner(client):
    client.force_login(editor())
    return client


def test_the_whatsapp_form_asks_in_words_and_names_what_is_missing(owner):
    form = text(owner.get(reverse(ADD) + "?kind=whatsapp"))
    for words in ("Phone number ID", "Access token", "App secret", "Verify token", "Your phone number"):
        assert words in form
    page = text(owner.post(reverse(ADD), {**WHATSAPP, "setting_access_token": "", "setting_app_secret": ""}))
    assert "Enter the access token of your Meta app" in page and "Enter your Meta app's secret" in page
    assert not Channel.objects.exists()


def test_secrets_are_write_only_and_a_verify_token_is_made_and_shown_back(owner):
    owner.post(reverse(ADD), WHATSAPP)
    channel = Channel.objects.get()
    assert channel.config == {"phone_number_id": "106540352242922"}
    token = channel.secrets["verify_token"]
    assert len(token) == 32 and channel.secrets["access_token"] == "EAAGm0PX4ZCps"
    page = owner.get(reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk])).content.decode()
    assert token in page and "EAAGm0PX4ZCps" not in page and "app-s3cret" not in page
    owner.post(reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk]),
               {**WHATSAPP, "setting_access_token": "", "setting_app_secret": "", "setting_verify_token": ""})
    assert Channel.objects.get().secrets == channel.secrets


def test_save_and_send_a_test_sends_the_approved_test_template_to_ones_own_number(owner, provider):
    provider.respond = lambda request: httpx.Response(200, json={"messages": [{"id": "wamid.T"}]})
    response = owner.post(reverse(ADD), {**WHATSAPP, "test_to": "+972 54 000 1111", "masa-test": "1"}, follow=True)
    assert "A test went to +972540001111" in text(response)
    body = json.loads(provider.requests[-1].content)
    assert body["to"] == "972540001111" and body["type"] == "template"
    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}
    assert Channel.objects.get().last_success_at is not None


def test_a_failing_whatsapp_test_says_why_in_words(owner, provider):
    provider.answers = [httpx.Response(401, json={"error": {
        "message": "Error validating access token", "type": "OAuthException", "code": 190}})]
    page = text(owner.post(reverse(ADD), {**WHATSAPP, "test_to": "+972540001111", "masa-test": "1"}, follow=True))
    assert "The test did not go through" in page and "access token has expired or is invalid" in page
    assert "OAuthException" not in page
