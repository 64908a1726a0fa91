"""Nobody let in: templates cannot reach outside the message, public endpoints are rate limited
(and stay open when Redis is down), secrets stay out of logs and errors, and a customer can be
erased completely."""
import logging
from datetime import timedelta

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.actions import due as scheduling
from masa.models import (Channel, Customer, CustomerNote, Delivery, InboundDelivery, MessageTemplate, Rule,
                         RuleFiring, ScheduledAction, StoreEvent)
from masa.packs import PackError, load_pack
from masa.privacy import erase_customer
from masa.rendering import TemplateMissing, check_template, merge_context, render
from masa import ratelimit

from ..helpers import NOW, editor, place_order, viewer
from ..helpers import load_captured, post_webhook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", [
    "{% debug %}", "{% load static %}", "{% include '/etc/passwd' %}", "{% extends 'base.html' %}",
    "{% ssi '/etc/passwd' %}", "{% csrf_token %}", "{% url 'admin:index' %}", "{{ customer|pprint }}",
])
def test_tags_that_reach_outside_the_message_do_not_parse(text):
    template = MessageTemplate(key="evil", body=text)
    with pytest.raises(ValidationError):
        check_template(template)


@pytest.mark.parametrize("text", [
    "{{ customer.__class__ }}", "{{ customer.__class__.__mro__ }}", "{{ facts.items }}{{ settings.SECRET_KEY }}",
    "{{ order.products.__len__ }}", "{{ customer.email.__class__.__subclasses__ }}",
])
def test_merge_tags_see_plain_values_only(text):
    customer = Customer(email="ruth@example.com", first_name="Ruth", facts={"tier": "strong"})
    try:
        body = render(MessageTemplate(key="t", body=text), merge_context(customer, None)).body
    except TemplateMissing as refused:
        assert "may not begin with underscores" in str(refused)
        return
    assert "class" not in body and "SECRET" not in body and "masa-example" not in body


def test_a_pack_with_an_escaping_template_is_refused():
    pack = """masa_pack: 1
id: evil
version: 1.0.0
title: Evil
templates:
  t: {body: "{% debug %}"}
rules:
  - {id: r, trigger: {event: order_placed}, steps: [{send: {template: t}}]}
"""
    with pytest.raises(PackError) as raised:
        load_pack(pack, "evil.yaml")
    assert raised.value.problems[0].startswith("evil.yaml: templates.t.body: Invalid block tag")


def test_the_webhook_answers_429_over_the_limit_and_records_nothing(client, key_server, settings):
    settings.MASA = {**settings.MASA, "RATE_LIMITS": {"webhook": "3/m"}}
    body, headers = load_captured("006_order_created")
    answers = [post_webhook(client, b"{}", {"Content-Type": "application/json"}).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 429, 429]
    rejected = InboundDelivery.objects.get()
    assert rejected.repeats == 3
    response = post_webhook(client, body, headers)
    assert response.status_code == 429 and response["Retry-After"] == "60"


def test_tracking_links_are_limited_per_client(client, settings):
    settings.MASA = {**settings.MASA, "RATE_LIMITS": {"tracking": "2/m"}}
    url = reverse("masa:opened", args=["forged"])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_limiter_lets_requests_through_when_its_store_is_down(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(ratelimit.cache, "add", broken)
    assert ratelimit.allow("webhook", "1.2.3.4", 1, 60) and ratelimit.allow("webhook", "1.2.3.4", 1, 60)


def test_channel_secrets_stay_out_of_logs_and_recorded_errors(client, signing_store, refill_rule, provider, caplog):
    secret = "tok_live_never-print-me"
    Channel.objects.create(name="SMS", kind="sms", config={"provider": "http", "url": "https://sms.example/send"},
                           secrets={"token": secret})
    Rule.objects.filter(pk=refill_rule.pk).update(definition={**refill_rule.definition, "steps": [
        {"wait": "1d"}, {"send": {"template": "refill-absorbent", "channel": "sms"}}]})
    place_order(client, signing_store)
    Customer.objects.update(phone="+972500000001", sms_consent=True)  # marketing by SMS needs SMS's own consent
    provider.answers = [httpx.Response(401, text="bad token"), httpx.ConnectError("refused")]
    with caplog.at_level(logging.DEBUG):
        scheduling.sweep(now=NOW + timedelta(days=2))
    assert provider.requests[0].headers["Authorization"] == f"Bearer {secret}"
    recorded = [caplog.text, *Delivery.objects.values_list("error", flat=True),
                *ScheduledAction.objects.values_list("last_error", flat=True),
                *Channel.objects.values_list("last_error", flat=True)]
    assert all(secret not in text for text in recorded)
    assert "bad token" in Delivery.objects.get().error


def test_erasing_a_customer_removes_everything_about_them(client, signing_store, refill_rule, email_channel):
    place_order(client, signing_store)
    place_order(client, signing_store, email="dana@example.com", user_id="VXNlcjoxMDA=")
    ruth = Customer.objects.get(email="ruth@example.com")
    CustomerNote.objects.create(customer=ruth, text="prefers SMS")
    scheduling.sweep(now=NOW + timedelta(days=26))
    client.force_login(editor())
    client.post(reverse("masa_customer", args=[ruth.pk]), {"do": "cancel", "action": 0})
    assert Delivery.objects.filter(customer=ruth).exists()

    erased = erase_customer(ruth)

    assert (erased.events, erased.messages, erased.notes) == (5, 1, 1) and erased.webhook_bodies == 2
    assert not Customer.objects.filter(email="ruth@example.com").exists()
    for model in (StoreEvent, Delivery, ScheduledAction, RuleFiring, CustomerNote):
        assert not model.objects.filter(customer_id=erased.customer_id).exists(), model
    assert not InboundDelivery.objects.filter(body__icontains="ruth@example.com").exists()
    assert not ModelLogEntry.objects.filter(label__icontains="ruth").exists()
    assert Customer.objects.filter(email="dana@example.com").exists()
    assert StoreEvent.objects.filter(customer__email="dana@example.com").count() == 4


def test_erasure_from_the_admin_needs_the_email_typed_and_an_editor(client, signing_store, refill_rule):
    place_order(client, signing_store)
    ruth = Customer.objects.get()
    url = reverse("masa_customer", args=[ruth.pk])
    client.force_login(viewer())
    client.post(url, {"do": "erase", "confirm_email": ruth.email})
    assert Customer.objects.exists()
    client.force_login(editor())
    client.post(url, {"do": "erase", "confirm_email": "someone@else.example"})
    assert Customer.objects.exists()
    response = client.post(url, {"do": "erase", "confirm_email": "RUTH@example.com"}, follow=True)
    assert "erased" in response.content.decode() and not Customer.objects.exists()
