"""A saved WhatsApp or SMS channel's page gives the full address its provider sends customers'
replies to, and where to paste it: Meta's callback URL with the verify token, Twilio's "A message
comes in", a generic provider's address with its token for replies."""
import html
import re

import pytest
from django.urls import reverse

from masa.models import Channel

from ..helpers import editor

pytestmark = pytest.mark.django_db
PUBLIC_URL = "https://cms.shop.example"


def text(response) -> str:
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    return re.sub("[\u2066-\u2069]", "", words)


@pytest.fixture
def owner(client, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": PUBLIC_URL + "/"}
    client.force_login(editor())
    return client


def page(owner, channel) -> str:
    return text(owner.get(reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk])))


def test_the_whatsapp_channel_page_shows_the_callback_url_and_the_verify_token(owner):
    channel = Channel.objects.create(name="Shop WhatsApp", kind=Channel.Kind.WHATSAPP,
                                     config={"phone_number_id": "106540352242922"},
                                     secrets={"access_token": "EAAG", "app_secret": "s3cret",
                                              "verify_token": "verify-me-0123456789"})

    shown = page(owner, channel)

    assert f"Callback URL {PUBLIC_URL}/masa/webhooks/whatsapp/{channel.pk}/ In your Meta app" in shown
    assert "Verify token verify-me-0123456789 Paste it as the verify token" in shown
    assert "s3cret" not in shown and "EAAG" not in shown


def test_a_twilio_sms_channel_page_shows_the_address_for_a_message_comes_in(owner):
    channel = Channel.objects.create(name="Shop SMS", kind=Channel.Kind.SMS,
                                     config={"provider": "twilio", "account_sid": "AC1", "from_number": "+97235550100"},
                                     secrets={"auth_token": "tw-secret"})

    shown = page(owner, channel)

    assert f"Address for replies {PUBLIC_URL}/masa/webhooks/sms/{channel.pk}/" in shown
    assert "“A message comes in”" in shown and "tw-secret" not in shown


def test_a_generic_sms_channel_gets_a_token_for_replies_shown_with_its_address(owner):
    owner.post(reverse("wagtailsnippets_masa_channel:add"), {
        "name": "Agency SMS", "enabled": "on", "kind": "sms", "provider": "http",
        "setting_url": "https://sms.example/send", "setting_from_number": "+97235550100", "setting_token": "key"})
    channel = Channel.objects.get()
    token = channel.secrets["inbound_token"]

    shown = page(owner, channel)

    assert len(token) == 32 and token in shown
    assert f"Address for replies {PUBLIC_URL}/masa/webhooks/sms/{channel.pk}/" in shown
    assert f"Token for replies {token} Your provider sends it as “Authorization: Bearer …”" in shown


def test_an_email_channel_page_has_no_reply_address(owner):
    channel = Channel.objects.create(name="Mail", kind=Channel.Kind.EMAIL, config={"from_email": "a@shop.example"})

    assert "/masa/webhooks/" not in page(owner, channel)
