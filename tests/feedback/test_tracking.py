"""Opens, clicks and unsubscribes: signed links become events that rules act on."""
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from django.test import TestCase

from masa.actions import due as scheduling
from masa.models import Customer, Delivery, MessageTemplate, Rule, ScheduledAction, StoreEvent

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
DUE = NOW + timedelta(days=1, minutes=5)


@pytest.fixture
def sent_newsletter(client, signing_store, email_channel, settings, mailoutbox):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    MessageTemplate.objects.create(
        key="news", subject="New walkers", body="See https://shop.example/walkers\nUnsubscribe: {{ unsubscribe_url }}",
        html_body='<html><body><a href="https://shop.example/walkers">Walkers</a></body></html>')
    Rule.objects.create(rule_id="news", title="News", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1d"}, {"send": {"template": "news"}}]})
    Rule.objects.create(rule_id="opened-then-offer", title="Opened → offer", definition={
        "trigger": {"event": "message_opened"}, "steps": [{"wait": "2h"}, {"send": {"template": "news"}}]})
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    assert scheduling.sweep(now=DUE) == {"done": 1}
    return Delivery.objects.get(), mailoutbox[0]


def path_of(url):
    return urlparse(url).path


def visit(client, method, url):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return getattr(client, method)(path_of(url))


def test_a_marketing_email_carries_tracked_links_a_pixel_and_one_click_unsubscribe_headers(sent_newsletter):
    delivery, email = sent_newsletter
    html = email.alternatives[0][0]
    assert 'href="https://cms.shop.example/masa/t/c/' in html and "https://shop.example/walkers" not in html
    assert '<img src="https://cms.shop.example/masa/t/o/' in html and html.endswith("</body></html>")
    assert email.extra_headers["List-Unsubscribe"].startswith("<https://cms.shop.example/masa/t/u/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Unsubscribe: https://cms.shop.example/masa/t/u/" in email.body
    assert delivery.html_body == html


def test_an_open_is_recorded_once_and_fires_the_rules_that_watch_it(client, sent_newsletter):
    _, email = sent_newsletter
    pixel = email.alternatives[0][0].split('<img src="')[1].split('"')[0]
    for _ in range(2):
        response = visit(client, "get", pixel)
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    opened = StoreEvent.objects.get(name="message_opened")
    assert opened.data["rule"] == "news" and opened.status == "processed"
    assert ScheduledAction.objects.filter(rule__rule_id="opened-then-offer").count() == 1


def test_a_click_redirects_to_the_original_link_and_a_tampered_token_is_refused(client, sent_newsletter):
    _, email = sent_newsletter
    link = email.alternatives[0][0].split('href="')[1].split('"')[0]
    response = visit(client, "get", link)
    assert response.status_code == 302 and response["Location"] == "https://shop.example/walkers"
    assert StoreEvent.objects.get(name="message_clicked").data["url"] == "https://shop.example/walkers"

    assert visit(client, "get", link[:-3] + "xyz").status_code == 400
    assert StoreEvent.objects.filter(name="message_clicked").count() == 1


def test_unsubscribe_needs_the_post_and_then_no_marketing_goes_out(client, signing_store, sent_newsletter, mailoutbox):
    _, email = sent_newsletter
    url = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert b'<form method="post">' in visit(client, "get", url).content
    assert Customer.objects.get().marketing_consent is True

    assert visit(client, "post", url).status_code == 200
    assert Customer.objects.get().marketing_consent is False
    post_signed(client, signing_store, "order_created", order_payload(when=NOW + timedelta(days=3)))
    assert scheduling.sweep(now=NOW + timedelta(days=5)) == {"cancelled": 1}
    assert len(mailoutbox) == 1


def test_a_token_of_another_kind_does_not_unsubscribe(client, sent_newsletter):
    _, email = sent_newsletter
    pixel = email.alternatives[0][0].split('<img src="')[1].split('"')[0]
    token = pixel.rsplit("/", 1)[1].removesuffix(".gif")
    assert visit(client, "post", f"/masa/t/u/{token}").status_code == 400
    assert Customer.objects.get().marketing_consent is True
