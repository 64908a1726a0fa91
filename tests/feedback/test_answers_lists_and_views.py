"""Survey answers, public-list sign-ups and "view in the browser": signed per message, a button
press before anything changes (mail scanners fetch links), recorded once, and never forgeable."""
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from django.test import TestCase

from masa import tracking
from masa.actions import due as scheduling
from masa.models import Customer, Delivery, MessageTemplate, Rule, StoreEvent

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def survey(client, signing_store, email_channel, settings, mailoutbox):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    MessageTemplate.objects.create(
        key="survey", subject="How did we do?",
        body="Happy: {{ survey_url }}satisfied\nNot: {{ survey_url }}unhappy\nGardening: {{ join_list_url }}gardening\n"
             "Online: {{ view_url }}",
        html_body='<p><a href="{{ survey_url }}satisfied">Happy</a> <a href="https://shop.example/">Shop</a></p>')
    Rule.objects.create(rule_id="survey", title="Survey", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1d"}, {"send": {"template": "survey"}}]})
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    scheduling.sweep(now=NOW + timedelta(days=1, minutes=1))
    return Delivery.objects.get(), mailoutbox[0]


def links(text):
    return re.findall(r"https://cms\.shop\.example\S+", text)


def visit(client, method, url):
    parsed = urlparse(url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return getattr(client, method)(parsed.path + (f"?{parsed.query}" if parsed.query else ""))


def test_masa_own_links_are_not_wrapped_in_click_redirects(survey):
    _, email = survey
    html = email.alternatives[0][0]
    assert 'href="https://cms.shop.example/masa/t/a/' in html
    assert "https://shop.example/" not in html and "/masa/t/c/" in html


def test_an_answer_needs_a_button_press_then_is_recorded_once(client, survey):
    delivery, email = survey
    happy, unhappy = links(email.body)[:2]
    page = visit(client, "get", happy).content.decode()
    assert "Your answer: satisfied" in page and not StoreEvent.objects.filter(name="survey_answered").exists()
    assert "Thank you" in visit(client, "post", happy).content.decode()
    visit(client, "post", unhappy)
    answered = StoreEvent.objects.get(name="survey_answered")
    assert answered.data["answer"] == "satisfied" and answered.data["delivery"] == delivery.idempotency_key
    assert answered.data["rule"] == "survey" and answered.status == "processed"


def test_joining_a_list_adds_the_interest_once(client, survey):
    _, email = survey
    join = links(email.body)[2]
    assert "Send me news about gardening?" in visit(client, "get", join).content.decode()
    visit(client, "post", join)
    visit(client, "post", join)
    assert StoreEvent.objects.filter(name="list_joined").count() == 1
    assert Customer.objects.get().tags == ["list:gardening"]


def test_the_message_can_be_viewed_in_the_browser_as_sent(client, survey):
    delivery, email = survey
    page = visit(client, "get", links(email.body)[3])
    assert page["X-Robots-Tag"] == "noindex" and delivery.html_body in page.content.decode()


@pytest.mark.parametrize("kind", ["answer", "list", "view"])
def test_forged_or_borrowed_tokens_are_refused(client, survey, kind):
    delivery, _ = survey
    other_kind = tracking.token(delivery.idempotency_key, "open")
    forged = tracking.token(delivery.idempotency_key, kind)[:-3] + "xyz"
    for value in (other_kind, forged):
        path = {"answer": f"/masa/t/a/{value}?answer=satisfied", "list": f"/masa/t/l/{value}/gardening",
                "view": f"/masa/t/v/{value}"}[kind]
        assert client.post(path).status_code in (400, 405) and client.get(path).status_code == 400
    assert not StoreEvent.objects.filter(name__in=["survey_answered", "list_joined"]).exists()


def test_an_answer_outside_the_simple_alphabet_is_refused(client, survey):
    _, email = survey
    happy = links(email.body)[0]
    assert visit(client, "post", happy.replace("satisfied", "<script>")).status_code == 400
