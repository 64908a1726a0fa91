"""Trust boundaries and privacy (issue 28): a client cannot choose the address it is counted under,
a test of a customer's message goes only to the staff member asking for it, and simulations and
forecasts play one at a time on copies of only what they play."""
import json
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from masa.models import Channel, Customer, InboundDelivery, Job, MessageTemplate, RuleFiring, ScheduledAction, StoreEvent
from masa.packs import simulate as simulate_module

from ..helpers import customer_payload, denied, editor, masa_admin_patterns, order_payload
from ..helpers import place_order, post_signed, post_webhook, viewer

pytestmark = pytest.mark.django_db


# 9 ─ rate limits trust exactly the configured proxies, counted from the right


@pytest.fixture
def behind_one_proxy(settings):
    settings.MASA = {**settings.MASA, "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "RATE_LIMITS": {"tracking": "2/m"}}


def test_a_client_cannot_choose_its_rate_limit_key_with_x_forwarded_for(client, behind_one_proxy):
    url = reverse("masa:opened", args=["forged"])
    # The client writes any left-most values; the proxy appends the address it was reached from.
    answers = [client.get(url, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.7").status_code for n in range(4)]
    assert answers == [200, 200, 429, 429]
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.1").status_code == 200


def test_with_two_trusted_proxies_the_address_is_two_hops_from_the_right(client, settings):
    settings.MASA = {**settings.MASA, "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "TRUSTED_PROXIES": 2,
                     "RATE_LIMITS": {"tracking": "1/m"}}
    url = reverse("masa:opened", args=["forged"])
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7, 10.0.0.2").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.7, 10.0.0.3").status_code == 429
    # Fewer entries than trusted proxies: the header did not come through them; REMOTE_ADDR counts.
    assert client.get(url, HTTP_X_FORWARDED_FOR="3.3.3.3", REMOTE_ADDR="192.0.2.50").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="4.4.4.4", REMOTE_ADDR="192.0.2.50").status_code == 429


def test_a_refused_webhook_is_recorded_under_the_address_the_proxy_saw(client, key_server, behind_one_proxy):
    response = post_webhook(client, b"{}", {"Content-Type": "application/json",
                                            "X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert response.status_code == 400
    assert InboundDelivery.objects.get().remote_addr == "203.0.113.9"


# 11 ─ a test of a customer's message goes to the signed-in staff member only


def test_a_test_of_a_customers_message_goes_only_to_the_staff_members_own_email(client, ruth, email_channel):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(editor())
    response = client.post(reverse("masa_message_preview", args=[template.pk]),
                           {"customer": ruth.pk, "channel": email_channel.pk, "to": "collector@elsewhere.example"},
                           follow=True)
    assert [sent.to for sent in mail.outbox] == [["edna@shop.example"]]
    assert "collector@elsewhere.example" not in response.content.decode()


def test_no_sms_test_of_a_customers_message_without_a_phone_on_the_account(client, ruth, provider):
    sms = Channel.objects.create(name="Shop SMS", kind="sms", config={"provider": "http", "url": "https://sms.example/send"},
                                 secrets={"token": "t"})
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(editor())
    url = reverse("masa_message_preview", args=[template.pk])
    assert "SMS tests of a customer&#x27;s message need a phone number on your account" in \
        client.get(url, {"customer": ruth.pk}).content.decode()
    response = client.post(url, {"customer": ruth.pk, "channel": sms.pk, "to": "+972500000009"}, follow=True)
    assert provider.requests == [] and not mail.outbox
    assert "Nothing was sent: a test of a customer&#x27;s message goes only to your own address" in \
        response.content.decode()


# 13 ─ one simulation or forecast at a time; copies of only what it plays


def _copied(*tables) -> dict:
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM pg_temp.{table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_temp.wagtailcore_revision r JOIN django_content_type t "
                       "ON t.id = r.base_content_type_id WHERE t.app_label <> 'masa'")
        counts["other revisions"] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def two_customers(client, signing_store, refill_rule, email_channel):
    """Two customers with orders a month ago, the rows intake and the worker kept for them, and a
    revision and a log entry of something that is not Masa's (the site's home page)."""
    from wagtail.models import ModelLogEntry, Page

    when = timezone.now() - timedelta(days=30)
    place_order(client, signing_store, when=when)
    post_signed(client, signing_store, "customer_created", customer_payload(user_id="VXNlcjo3", email="dina@example.com",
                                                                            first="Dina", when=when))
    post_signed(client, signing_store, "order_created", order_payload(user_id="VXNlcjo3", email="dina@example.com",
                                                                      when=when))
    home = Page.objects.filter(depth=2).first()
    home.save_revision()
    ModelLogEntry.objects.log_action(home, "wagtail.edit")
    assert Customer.objects.count() == 2 and ScheduledAction.objects.exists() and RuleFiring.objects.exists()
    assert InboundDelivery.objects.exists()
    return Customer.objects.get(email="ruth@example.com")


def test_a_simulation_copies_only_the_rows_it_plays(client, two_customers, refill_rule, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("private copies are a PostgreSQL feature")
    seen = {}
    replay = simulate_module._replay

    def counting(*args, **kwargs):
        seen.update(_copied("masa_inbounddelivery", "masa_scheduledaction", "masa_rulefiring", "masa_storeevent",
                            "masa_customer", "wagtailcore_modellogentry"))
        return replay(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "_replay", counting)
    client.force_login(editor())
    client.post(reverse("masa_rule_simulate", args=[refill_rule.pk]), {"days": 60})
    assert Job.objects.get().status == "done"
    played = StoreEvent.objects.exclude(source__in=simulate_module.REGENERATED_SOURCES).count()
    assert seen == {"masa_inbounddelivery": 0, "masa_scheduledaction": 0, "masa_rulefiring": 0,
                    "masa_storeevent": played, "masa_customer": 2, "wagtailcore_modellogentry": 0,
                    "other revisions": 0}


@pytest.mark.django_db(transaction=True)
def test_one_simulation_or_forecast_plays_at_a_time(client, signing_store, refill_rule, email_channel, settings,
                                                       monkeypatch):
    settings.MASA = {**settings.MASA, "JOBS": "thread"}
    place_order(client, signing_store, when=timezone.now() - timedelta(days=30))
    ruth = Customer.objects.get()
    playing, release = threading.Event(), threading.Event()
    replay = simulate_module._replay

    def held(*args, **kwargs):
        playing.set()
        release.wait(30)
        return replay(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "_replay", held)
    client.force_login(editor())
    url = reverse("masa_rule_simulate", args=[refill_rule.pk])
    client.post(url, {"days": 60})
    try:
        assert playing.wait(20), "the first simulation started"
        refused = client.post(url, {"days": 30}, follow=True).content.decode()
        assert "Another simulation is running" in refused and Job.objects.count() == 1
        page = client.get(reverse("masa_customer", args=[ruth.pk]), {"next": 90}).content.decode()
        assert "another simulation or forecast is playing" in page and "masa-forecast" not in page
    finally:
        release.set()
    deadline = time.monotonic() + 30
    while Job.objects.get().status != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Job.objects.get().status == "done"
    assert "masa-forecast" in client.get(reverse("masa_customer", args=[ruth.pk]), {"next": 90}).content.decode()


# 15 ─ every Masa admin page, from the URL configuration, is checked


def test_the_list_of_admin_pages_is_every_masa_url_pattern(every_page):
    named = {name for name, _ in every_page}
    assert {"masa_jobs", "masa_job", "masa_saleor_stores"} <= named
    assert {name for name, _ in masa_admin_patterns()} <= named


def test_a_wagtail_user_outside_the_journeys_groups_is_refused_every_masa_page(client, every_page):
    from django.contrib.auth.models import Permission, User

    outsider = User.objects.create_user("olga", "olga@shop.example", "x")
    outsider.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(outsider)
    allowed = [name for name, url in every_page if name != "wagtailadmin_home" and not denied(client.get(url))]
    assert allowed == []


def test_a_viewer_reads_every_page_it_may_without_an_error(client, every_page):
    client.force_login(viewer())
    answers = {name: client.get(url).status_code for name, url in every_page}
    assert all(status in (200, 302) for status in answers.values()), answers
    assert answers["wagtailsnippets_masa_rule:list"] == 200 and answers["masa_job"] == 302


def test_an_accepted_webhook_is_stored_under_the_address_the_proxy_saw(client, signing_store, behind_one_proxy):
    from ..helpers import STORE_API_URL, STORE_DOMAIN

    body = json.dumps(order_payload()).encode()
    headers = {**signing_store.headers("order_created", body, STORE_DOMAIN, STORE_API_URL),
               "X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    assert post_webhook(client, body, headers).status_code == 200
    headers["X-Forwarded-For"] = "6.6.6.6, not-an-address"
    body = json.dumps(order_payload()).encode()
    headers["Saleor-Signature"] = signing_store.sign(body)
    assert post_webhook(client, body, headers).status_code == 200
    assert sorted(InboundDelivery.objects.values_list("remote_addr", flat=True)) == ["127.0.0.1", "203.0.113.9"]
