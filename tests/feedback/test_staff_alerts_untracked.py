"""Issue 28, item 12: a staff alert is about a customer, not read by them. It carried the
customer's open pixel and tracked links, so a staff member reading it recorded an open (a click,
an unsubscribe…) for the customer. Staff messages are never tracked, and what staff do with one
sent before (or what their mail provider reports of it) is never recorded as the customer's."""
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from anymail.signals import AnymailTrackingEvent, tracking as anymail_tracking
from django.test import TestCase

from masa import tracking
from masa.actions import due as scheduling
from masa.models import Customer, Delivery, MessageTemplate, Rule, StoreEvent

from ..helpers import order_payload, post_signed

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
CUSTOMER_EVENTS = ("message_opened", "message_clicked", "unsubscribed", "survey_answered", "marketing_opted_in",
                   "list_joined", "message_bounced")
URL = re.compile(r"https?://[^\s<>\"']+")


@pytest.fixture
def staff_alert(client, signing_store, email_channel, settings, mailoutbox):
    """An order makes a rule alert the staff about the customer, with links the author wrote and
    every one of Masa's own links."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example", "STAFF_EMAILS": ["staff@shop.example"]}
    links = "{{ unsubscribe_url }} {{ view_url }} {{ survey_url }}yes {{ join_list_url }}news {{ opt_in_url }}"
    MessageTemplate.objects.create(
        key="staff-alert", subject="Big order from {{ customer.email }}",
        body=f"See https://shop.example/dashboard/customers/ — {links}",
        html_body='<html><body><a href="https://shop.example/dashboard/customers/">The customer</a> '
                  f'<a href="{{{{ unsubscribe_url }}}}">x</a> {links}</body></html>')
    Rule.objects.create(rule_id="big-order", title="Big order", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"notify_staff": {"template": "staff-alert"}}]})
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    assert scheduling.sweep(now=NOW + timedelta(minutes=1)) == {"done": 1}
    assert [m.to for m in mailoutbox] == [["staff@shop.example"]]
    return mailoutbox[0]


def visit(client, url, method="get"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        parts = urlparse(url)
        return getattr(client, method)(parts.path + (f"?{parts.query}" if parts.query else ""))


def test_a_staff_alert_has_no_pixel_no_tracked_link_and_no_customer_link(staff_alert, client):
    html = staff_alert.alternatives[0][0]
    assert "/masa/t/" not in html and "/masa/t/" not in staff_alert.body and "<img" not in html
    assert '<a href="https://shop.example/dashboard/customers/">' in html, "the author's link, as written"
    assert "List-Unsubscribe" not in staff_alert.extra_headers
    for url in {*URL.findall(html), *URL.findall(staff_alert.body)}:
        visit(client, url)
        visit(client, url, "post")
    assert not StoreEvent.objects.filter(name__in=CUSTOMER_EVENTS).exists()
    assert Customer.objects.get().marketing_consent is True


def test_a_staff_alert_sent_with_tracked_links_before_records_nothing_for_the_customer(staff_alert, client):
    """Alerts already in staff inboxes carry the customer's tokens: opening, clicking or
    unsubscribing from them changes nothing of the customer's; a click still leads on."""
    delivery = Delivery.objects.get()
    key = delivery.idempotency_key
    old = tracking.decorate_html('<a href="https://shop.example/dashboard/customers/">The customer</a>', key,
                                 tracking.AuthoredLinks("https://shop.example/dashboard/customers/"))
    pixel, click = URL.findall(old)[1], URL.findall(old)[0]
    assert "/masa/t/o/" in pixel and "/masa/t/c/" in click
    assert visit(client, pixel).status_code == 200
    assert visit(client, click)["Location"] == "https://shop.example/dashboard/customers/"
    for url in (tracking.unsubscribe_url(key), tracking.opt_in_url(key), tracking.join_list_url(key) + "news"):
        visit(client, url, "post")
    visit(client, tracking.survey_url(key) + "yes", "post")
    assert not StoreEvent.objects.filter(name__in=CUSTOMER_EVENTS).exists()
    assert Customer.objects.get().marketing_consent is True


def test_what_the_mail_provider_reports_of_a_staff_alert_is_not_the_customers(staff_alert):
    delivery = Delivery.objects.get()
    for event_type in ("opened", "clicked", "complained", "bounced"):
        event = AnymailTrackingEvent(event_type=event_type, message_id=delivery.provider_message_id, timestamp=NOW,
                                     click_url="https://shop.example/dashboard/customers/")
        with TestCase.captureOnCommitCallbacks(execute=True):
            anymail_tracking.send(sender=object, event=event, esp_name="Postmark")
    assert not StoreEvent.objects.filter(name__in=CUSTOMER_EVENTS).exists()
    assert Customer.objects.get().marketing_consent is True
    assert Delivery.objects.get().status == "bounced", "the delivery itself still says what became of it"
