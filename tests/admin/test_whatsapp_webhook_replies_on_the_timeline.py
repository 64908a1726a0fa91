"""What the customer wrote on WhatsApp, and Meta's receipts, on the customer's timeline in words;
the customer's text is theirs, so it is shown escaped, never as HTML."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from ..helpers import viewer
from ..signals.whatsapp_meta import SENT_WAMID, post_whatsapp, ruth, sent, status_body, text_message  # noqa: F401
from ..signals.whatsapp_meta import whatsapp_channel  # noqa: F401
from .test_customer_timeline_lines import lines_of

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def page_of(client, customer) -> str:
    client.force_login(User.objects.filter(username="victor").first() or viewer())
    return client.get(reverse("masa_customer", args=[customer.pk])).content.decode()


def test_html_in_a_reply_is_shown_as_the_customer_typed_it(client, sent, ruth):
    post_whatsapp(client, sent.channel, text_message('<img src=x onerror="alert(1)"><b>Yes</b>', NOW,
                                                     context=SENT_WAMID))

    page = page_of(client, ruth)

    assert "<img src=x" not in page and "<b>Yes</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;b&gt;Yes&lt;/b&gt;" in page
    assert "Replied to “Time to restock, Ruth?” on WhatsApp" in lines_of(page)


def test_a_read_receipt_is_a_line_in_words(client, sent, ruth):
    post_whatsapp(client, sent.channel, status_body("read", NOW))

    assert lines_of(page_of(client, ruth))[0] == "Read “Time to restock, Ruth?” on WhatsApp"


def test_a_message_that_answers_nothing_masa_sent_is_a_line_in_words(client, whatsapp_channel, ruth):
    post_whatsapp(client, whatsapp_channel, text_message("Do you ship to Eilat?", NOW))

    page = page_of(client, ruth)

    assert lines_of(page)[0] == "Wrote on WhatsApp"
    assert "Do you ship to Eilat?" in page
