"""Issue 19, item 2: the customer's language and time zone come from the store, with where each
came from; templates' locale texts and time-of-day waits use them."""
from datetime import datetime, timezone

import pytest
from django.urls import reverse

from masa.actions.timing import customer_zone, next_time_of_day
from masa.models import Customer, MessageTemplate
from masa.rendering import find_template

from ..helpers import customer_payload, editor, order_payload, post_signed

pytestmark = pytest.mark.django_db


def hebrew_customer(when=None):
    payload = customer_payload(when=when)
    payload["user"]["languageCode"] = "HE"
    payload["user"]["metadata"].append({"key": "masa.time_zone", "value": "Asia/Jerusalem"})
    return payload


def test_language_and_time_zone_come_from_the_saleor_customer(client, signing_store):
    post_signed(client, signing_store, "customer_created", hebrew_customer())
    customer = Customer.objects.get()
    assert (customer.locale, customer.locale_source) == ("he", "Saleor customer language")
    assert (customer.time_zone, customer.time_zone_source) == ("Asia/Jerusalem", "Saleor metadata masa.time_zone")
    client.force_login(editor())
    page = client.get(reverse("masa_customer", args=[customer.pk])).content.decode()
    assert "Reads Hebrew" in page and "(from <bdi>Saleor customer language</bdi>)" in page
    assert "lives by the time in <bdi>Asia/Jerusalem</bdi>" in page


def test_a_9_oclock_wait_is_9_oclock_where_the_customer_lives(client, signing_store):
    post_signed(client, signing_store, "customer_created", hebrew_customer())
    customer = Customer.objects.get()
    moment = datetime(2026, 1, 10, 5, 0, tzinfo=timezone.utc)
    assert next_time_of_day(moment, "09:00", None, customer_zone(customer)) == datetime(2026, 1, 10, 7, 0, tzinfo=timezone.utc)


def test_an_orders_language_is_used_for_a_guest_but_never_over_the_accounts(client, signing_store):
    post_signed(client, signing_store, "customer_created", hebrew_customer())
    order = order_payload()
    order["order"]["languageCode"] = "EN_US"
    post_signed(client, signing_store, "order_created", order)
    assert Customer.objects.get().locale == "he"

    guest = order_payload(email="guest@example.com", user_id=None)
    guest["order"]["user"] = None
    guest["order"]["languageCode"] = "EN_US"
    post_signed(client, signing_store, "order_created", guest)
    assert Customer.objects.get(email="guest@example.com").locale == "en-us"


def test_an_invalid_time_zone_is_ignored(client, signing_store):
    payload = customer_payload()
    payload["user"]["metadata"].append({"key": "masa.time_zone", "value": "../../etc/passwd"})
    post_signed(client, signing_store, "customer_created", payload)
    assert Customer.objects.get().time_zone == ""


def test_a_template_text_is_chosen_by_locale_then_language_then_default():
    MessageTemplate.objects.create(key="hi", body="Hello")
    MessageTemplate.objects.create(key="hi", locale="he", body="שלום")
    assert find_template("hi", "he").body == "שלום"
    assert find_template("hi", "he-il").body == "שלום"
    assert find_template("hi", "en-us").body == "Hello"


def test_the_time_zone_comes_from_the_address_country_when_it_has_one_zone(client, signing_store):
    """Israel has one zone (Asia/Jerusalem); the United States has many, so its address says nothing."""
    payload = customer_payload()
    payload["user"]["defaultShippingAddress"] = {"phone": "", "country": {"code": "IL"}}
    post_signed(client, signing_store, "customer_created", payload)
    customer = Customer.objects.get()
    assert (customer.time_zone, customer.time_zone_source) == ("Asia/Jerusalem", "the address country (IL)")

    guest = order_payload(email="guest@example.com", user_id=None)
    guest["order"]["user"] = None
    guest["order"]["shippingAddress"] = {"country": {"code": "US"}}
    post_signed(client, signing_store, "order_created", guest)
    assert Customer.objects.get(email="guest@example.com").time_zone == ""


def test_the_metadata_time_zone_wins_over_the_address_country(client, signing_store):
    payload = hebrew_customer()
    payload["user"]["metadata"][-1]["value"] = "Europe/Paris"
    post_signed(client, signing_store, "customer_created", payload)
    update = customer_payload()
    update["__typename"] = "CustomerUpdated"
    update["user"]["defaultShippingAddress"] = {"phone": "", "country": {"code": "IL"}}
    post_signed(client, signing_store, "customer_updated", update)
    assert Customer.objects.get().time_zone == "Europe/Paris"


def test_a_country_with_one_zone_gives_it_and_one_with_many_gives_none():
    from masa.timezones import zone_of_country

    assert (zone_of_country("il"), zone_of_country("FR"), zone_of_country("US"), zone_of_country("")) == (
        "Asia/Jerusalem", "Europe/Paris", "", "")
