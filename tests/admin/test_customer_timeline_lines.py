"""The customer page as a communication timeline (issue 30, item 6; seed 003): one line per thing
that happened to the person, in words, newest first, the exact text sent one click away, what
Masa decided folded under "why", internal ids only in a collapsed "details", filters that work
without script, and engagement per month."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from masa.actions.due import sweep
from masa.admin.engagement import engagement
from masa.eventstore import record_message_event as record
from masa.models import Customer, Delivery

from ..helpers import NOW, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(client, signing_store, refill_rule, email_channel):
    """Ruth ordered; 26 days later her refill reminder went, she opened it and clicked in it."""
    payload = place_order(client, signing_store)
    sweep(now=NOW + timedelta(days=26))
    delivery = Delivery.objects.get()
    record(delivery, "message_opened", "open-1", at=NOW + timedelta(days=26, hours=2))
    record(delivery, "message_clicked", "click-1", at=NOW + timedelta(days=26, hours=3),
           url="https://shop.example/absorbent")
    return Customer.objects.get(email="ruth@example.com"), payload, delivery


def page_of(client, customer, **query) -> str:
    client.force_login(User.objects.filter(username="victor").first() or viewer())
    return client.get(reverse("masa_customer", args=[customer.pk]), query).content.decode()


def lines_of(page: str) -> list[str]:
    """The visible sentence of each timeline line, in order."""
    return [re.sub(r"<[^>]+>", "", text).strip()
            for text in re.findall(r'<p class="masa-line-text">(.*?)</p>', page, re.S)]


def without_collapsed(page: str) -> str:
    return re.sub(r"<details(?![^>]*\bopen\b).*?</details>", "", page, flags=re.S)


def test_each_thing_that_happened_is_one_line_in_words_newest_first(client, told):
    customer, payload, delivery = told
    lines = lines_of(page_of(client, customer))
    number = payload["order"]["number"]
    assert lines[:3] == ["Clicked a link in “Time to restock, Ruth?”", "Opened “Time to restock, Ruth?”",
                         "Sent “Time to restock, Ruth?” by email"], lines
    assert f"Ordered #{number} — €40.00" in lines
    assert lines.index("Started the journey “Absorbent products refill”") > 2


def test_the_exact_text_sent_is_one_click_away_and_escaped(client, told):
    customer, _, delivery = told
    Delivery.objects.filter(pk=delivery.pk).update(body="Hi Ruth <b>soon</b>, your order will run out.")
    page = page_of(client, customer)
    sent = re.search(r'<details class="masa-sent">.*?</details>', page, re.S).group(0)
    assert "Hi Ruth &lt;b&gt;soon&lt;/b&gt;, your order will run out." in sent
    assert f'href="#masa-message-{delivery.pk}"' in page and f'id="masa-message-{delivery.pk}"' in page


def test_what_masa_decided_is_folded_under_why_and_ids_under_details(client, told):
    customer, _, delivery = told
    page = page_of(client, customer)
    why = re.findall(r'<details class="masa-why">.*?</details>', page, re.S)
    assert any("The journey Absorbent products refill started on" in block for block in why), why
    shown = without_collapsed(page)
    for engineer in (delivery.idempotency_key, "FIRING", "processed", "v1", customer.store_id, "$", "{{"):
        assert engineer not in shown.split('<main', 1)[-1], engineer
    assert delivery.idempotency_key in page  # still there, for an agency, behind "details"


def test_a_skipped_send_says_why_under_its_line(client, signing_store, refill_rule, email_channel):
    place_order(client, signing_store)
    place_order(client, signing_store, when=NOW + timedelta(days=10))
    sweep(now=NOW + timedelta(days=26))
    customer = Customer.objects.get()
    page = page_of(client, customer)
    assert "Skipped a step of “<bdi>Absorbent products refill</bdi>”" in page
    skipped = page[page.index("Skipped a step of"):]
    why = skipped[skipped.index('<details class="masa-why">'):skipped.index("</details>")]
    assert "send “Time to restock, Ruth?”" in why and "bought from category &#x27;absorbent&#x27; again" in why


def test_the_filters_keep_messages_orders_or_journeys_without_script(client, told):
    customer, payload, _ = told
    number = payload["order"]["number"]
    messages = lines_of(page_of(client, customer, show="messages"))
    orders = lines_of(page_of(client, customer, show="orders"))
    journeys = lines_of(page_of(client, customer, show="journeys"))
    assert "Opened “Time to restock, Ruth?”" in messages and not any("Ordered" in line for line in messages)
    assert orders == [f"Ordered #{number} — €40.00", "Opened an account in the store"], orders
    assert "Started the journey “Absorbent products refill”" in journeys and "Opened" not in " ".join(journeys)
    page = page_of(client, customer, show="orders")
    assert '<a href="?show=orders" class="button button-small" aria-current="true">' in page


def test_engagement_counts_messages_sent_opened_and_clicked_per_month(client, told):
    customer, _, _ = told
    months, peak = engagement(customer, now=NOW + timedelta(days=40))
    assert len(months) == 12 and peak == 1
    november = months[-2]
    assert (november.first_day.month, november.sent, november.opened, november.clicked) == (11, 1, 1, 1)
    assert november.heights == (100, 100, 100)
    assert all(month.sent == 0 for month in months if month is not november)
    page = page_of(client, customer)
    assert "Engagement over the last 12 months" in page and "1 sent, 1 opened, 1 clicked" in page
