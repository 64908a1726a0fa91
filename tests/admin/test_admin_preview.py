"""A message previewed for a real customer (their data, their language, their latest order; HTML
in a sandboxed frame; SMS length and parts) and *Send a test to me*: nothing is tracked, issued
or counted, and only an editor who may use channels sends."""
import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.channels.sms import sms_parts
from masa.models import Customer, Delivery, MessageTemplate, ScheduledAction

from ..helpers import denied, editor, viewer

pytestmark = pytest.mark.django_db


def test_the_preview_shows_the_message_as_this_customer_would_get_it(client, ruth, refill_rule):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    template.html_body = "<p>Hi {{ customer.first_name }} — <a href='{{ unsubscribe_url }}'>unsubscribe</a></p>"
    template.save()
    client.force_login(viewer())
    page = client.get(reverse("masa_message_preview", args=[template.pk]), {"customer": ruth.pk}).content.decode()
    assert "Time to restock, Ruth?" in page
    number = ruth.events.get(name="order_placed").data["number"]
    assert f"your order #{number} will run out soon" in page and f"latest order #{number}" in page
    assert '<iframe class="masa-html-preview" sandbox=""' in page and "/masa/sample/unsubscribe_url/" in page
    assert "As SMS:" in page and "GSM-7" in page
    assert "Send a test to me" not in page, "a viewer sends nothing"
    assert not Delivery.objects.exists()
    assert ScheduledAction.objects.filter(status="pending").count() == 1, "the preview changes nothing"


def test_the_preview_uses_the_customers_language_and_escapes_their_data(client, ruth):
    MessageTemplate.objects.create(key="refill-absorbent", locale="he", subject="נגמרים לך, {{ customer.first_name }}?",
                                   body="שלום {{ customer.first_name }}")
    Customer.objects.filter(pk=ruth.pk).update(locale="he", first_name="<script>alert(1)</script>")
    default = MessageTemplate.objects.get(key="refill-absorbent", locale="")
    client.force_login(viewer())
    page = client.get(reverse("masa_message_preview", args=[default.pk]), {"customer": ruth.pk}).content.decode()
    assert "נגמרים לך" in page and "In their language: Hebrew." in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "UCS-2" in page


def test_a_customer_is_found_by_email_or_name(client, ruth, refill_rule):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(viewer())
    page = client.get(reverse("masa_message_preview", args=[template.pk]), {"q": "levi"}).content.decode()
    assert f'href="?customer={ruth.pk}"' in page


def test_send_a_test_to_me_goes_through_the_channel_marked_as_a_test(client, ruth, email_channel):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(editor())
    url = reverse("masa_message_preview", args=[template.pk])
    page = client.get(url, {"customer": ruth.pk}).content.decode()
    assert "Send a test to me" in page
    assert "A test goes only to you: by email to <bdi>edna@shop.example</bdi>" in page
    response = client.post(url, {"customer": ruth.pk, "channel": email_channel.pk}, follow=True)
    assert "Sent a test of “Time to restock, Ruth?” to edna@shop.example" in response.content.decode()
    sent = mail.outbox[-1]
    assert (sent.to, sent.subject) == (["edna@shop.example"], "[Test] Time to restock, Ruth?")
    assert not Delivery.objects.exists(), "a test is not a delivery and counts in no result"
    assert ModelLogEntry.objects.filter(action="masa.message.test").exists()


def test_a_viewer_cannot_send_a_test(client, ruth, email_channel):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(viewer())
    response = client.post(reverse("masa_message_preview", args=[template.pk]),
                           {"customer": ruth.pk, "channel": email_channel.pk, "to": "x@shop.example"})
    assert denied(response) and not mail.outbox


def test_a_template_that_cannot_be_made_says_why(client, ruth):
    template = MessageTemplate.objects.create(key="survey", body="Tell us: {{ survey_url }}")
    client.force_login(viewer())
    page = client.get(reverse("masa_message_preview", args=[template.pk]), {"customer": ruth.pk}).content.decode()
    assert "Tell us: https://" in page, "links point at the sample page"


@pytest.mark.parametrize("text, expected", [
    ("a" * 160, ("GSM-7", 160, 1)), ("a" * 161, ("GSM-7", 161, 2)), ("€" * 80, ("GSM-7", 160, 1)),
    ("ש" * 70, ("UCS-2", 70, 1)), ("ש" * 71, ("UCS-2", 71, 2)), ("", ("GSM-7", 0, 0)),
])
def test_sms_length_and_parts(text, expected):
    parts = sms_parts(text)
    assert (parts.encoding, parts.length, parts.segments) == expected
