"""What a customer types on WhatsApp or by SMS, and what a signed body names (a phone number id),
reach the admin as text: escaped on the customer's timeline and under *Needs attention*, and a
right-to-left override in a reply stays inside its own isolated run."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.models import InboundDelivery

from ..helpers import editor
from ..signals.whatsapp_meta import (SENT_WAMID, post_whatsapp, ruth, sent, status_body,  # noqa: F401
                                     text_message, whatsapp_channel)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
SCRIPT = '<script>alert("reply")</script><img src=x onerror=alert(1)>'


def test_a_reply_with_markup_and_a_direction_override_is_escaped_and_isolated(client, sent, ruth):
    post_whatsapp(client, sent.channel, text_message(f"{SCRIPT}\u202eevil", NOW, context=SENT_WAMID))
    client.force_login(editor())

    page = client.get(reverse("masa_customer", args=[ruth.pk])).content.decode()

    assert SCRIPT not in page and "&lt;script&gt;alert(&quot;reply&quot;)&lt;/script&gt;" in page
    shown = page.split("&lt;script&gt;")[0].rsplit("<", 1)[-1]
    assert shown.startswith('bdi dir="auto">')


def test_a_signed_bodys_names_are_escaped_under_needs_attention(client, sent):
    post_whatsapp(client, sent.channel, status_body("read", NOW, phone_number_id=SCRIPT))
    assert InboundDelivery.objects.get().status == "failed"
    client.force_login(editor())

    page = client.get(reverse("masa_failures")).content.decode()

    assert "&lt;script&gt;alert(&quot;reply&quot;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<script>alert" not in page
