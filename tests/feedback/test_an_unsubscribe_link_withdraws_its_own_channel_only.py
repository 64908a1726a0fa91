"""Issue 32: an unsubscribe link (and List-Unsubscribe) withdraws the consent of the channel its
message went on, and the page says which; an e-mail complaint (marked as spam) is e-mail's only."""
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.test import TestCase

from masa import tracking
from masa.feedback.anymail import on_tracking
from masa.models import Channel, Customer, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def ruth(db, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    return Customer.objects.create(email="ruth@example.com", phone="+972501234567", locale="en",
                                   marketing_consent=True, sms_consent=True, whatsapp_consent=True)


def sent_on(customer, kind: str, key: str) -> Delivery:
    channel = Channel.objects.create(name=f"Shop {kind}", kind=kind)
    return Delivery.objects.create(idempotency_key=key, channel=channel, customer=customer, template_key="news",
                                   to=customer.email if kind == "email" else customer.phone, body="News",
                                   status=Delivery.Status.SENT, provider_message_id=f"id-{key}")


def visit(client, method, url):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return getattr(client, method)(urlparse(url).path)


def consents(customer):
    customer.refresh_from_db()
    return customer.marketing_consent, customer.sms_consent, customer.whatsapp_consent


def test_an_email_unsubscribe_link_withdraws_email_only(client, ruth):
    delivery = sent_on(ruth, "email", "news:ruth:email")
    url = tracking.list_unsubscribe_headers(delivery.idempotency_key)["List-Unsubscribe"].strip("<>")
    page = visit(client, "get", url).content.decode()
    assert "Stop marketing messages by e-mail?" in page and consents(ruth) == (True, True, True)

    assert "no more marketing messages by e-mail" in visit(client, "post", url).content.decode()
    assert consents(ruth) == (False, True, True)
    assert ruth.marketing_consent_source == "unsubscribe link"


def test_an_sms_unsubscribe_link_says_sms_and_withdraws_sms_only(client, ruth):
    url = tracking.unsubscribe_url(sent_on(ruth, "sms", "news:ruth:sms").idempotency_key)
    assert "Stop marketing messages by SMS?" in visit(client, "get", url).content.decode()
    visit(client, "post", url)
    assert consents(ruth) == (True, False, True)


def test_the_page_speaks_the_customers_language(client, ruth):
    Customer.objects.filter(pk=ruth.pk).update(locale="he")
    url = tracking.unsubscribe_url(sent_on(ruth, "whatsapp", "news:ruth:wa").idempotency_key)
    page = visit(client, "get", url).content.decode()
    assert "WhatsApp" in page and "ביטול המינוי" in page and ">Unsubscribe<" not in page


def test_an_email_complaint_withdraws_email_only(ruth):
    delivery = sent_on(ruth, "email", "news:ruth:complained")
    event = SimpleNamespace(message_id=delivery.provider_message_id, event_type="complained", click_url="",
                            description="", mta_response="")
    with TestCase.captureOnCommitCallbacks(execute=True):
        on_tracking(None, event=event, esp_name="Postmark")
    assert consents(ruth) == (False, True, True)
    assert ruth.marketing_consent_source == "marked as spam"
