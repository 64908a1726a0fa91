"""The WhatsApp verify token and an SMS channel's token for replies let whoever holds them subscribe
a webhook or post replies as the provider: only those who may change the channel (Journeys editors)
see them; a Journeys viewer reads no page that shows them."""
import pytest
from django.urls import reverse

from masa.models import Channel

from ..helpers import denied, editor, viewer

pytestmark = pytest.mark.django_db
VERIFY_TOKEN = "verify-token-7f3a9c1e"
INBOUND_TOKEN = "inbound-token-2b8d4e6f"


@pytest.fixture
def channels(db):
    whatsapp = Channel.objects.create(name="Shop WhatsApp", kind=Channel.Kind.WHATSAPP,
                                      config={"phone_number_id": "106540352242922"},
                                      secrets={"access_token": "EAAG", "app_secret": "s", "verify_token": VERIFY_TOKEN})
    sms = Channel.objects.create(name="Agency SMS", kind=Channel.Kind.SMS,
                                 config={"provider": "http", "url": "https://sms.example/send"},
                                 secrets={"token": "outbound", "inbound_token": INBOUND_TOKEN})
    return whatsapp, sms


def pages(channels) -> list[str]:
    urls = [reverse("wagtailsnippets_masa_channel:list"), reverse("masa_failures")]
    for channel in channels:
        urls += [reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk]),
                 reverse("wagtailsnippets_masa_channel:history", args=[channel.pk])]
    return urls


def test_a_viewer_sees_no_reply_token_on_any_channel_page(client, channels):
    client.force_login(viewer())

    for url in pages(channels):
        response = client.get(url)
        body = response.content.decode()
        assert VERIFY_TOKEN not in body and INBOUND_TOKEN not in body, url
    assert denied(client.get(reverse("wagtailsnippets_masa_channel:edit", args=[channels[0].pk])))


def test_an_editor_sees_the_tokens_where_they_are_pasted(client, channels):
    client.force_login(editor())

    whatsapp, sms = (client.get(reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk])).content.decode()
                     for channel in channels)
    assert VERIFY_TOKEN in whatsapp and INBOUND_TOKEN in sms
