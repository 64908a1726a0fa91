"""A customer's next 90 days: the forecast names what the live path then does when time really
moves forward, and it writes, sends and locks nothing."""
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from masa.models import Customer, Delivery, ScheduledAction
from masa.packs.forecast import forecast
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file
from masa.packs.playback import Clock

from ..helpers import NOW, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def miriam(client, signing_store, email_channel, settings):
    """The senior-care pack, and an order of pads and a walker."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store, lines=[("Pads", "absorbent", 2, 30), ("Walker", "walking-aids", 1, 120)])
    return Customer.objects.get()


def test_the_forecast_is_what_then_happens(miriam):
    before = set(ScheduledAction.objects.values_list("pk", "status"))
    predicted = forecast(miriam, days=90, now=NOW)
    assert set(ScheduledAction.objects.values_list("pk", "status")) == before and not Delivery.objects.exists()
    assert not mail.outbox, "a forecast sends nothing"
    sends = [(item.subject, item.at) for item in predicted if item.kind == "send" and item.status == "done"]
    assert len(sends) >= 2, predicted

    Clock(NOW, since_event=0).run_until(NOW + timedelta(days=90))
    happened = sorted((d.subject, d.sent_at) for d in Delivery.objects.filter(status__in=Delivery.SENT_STATUSES))
    assert sorted(sends) == happened


def test_the_customer_page_shows_the_next_90_days_in_words(client, miriam):
    client.force_login(viewer())
    url = reverse("masa_customer", args=[miriam.pk])
    assert "Show what Masa will do" in client.get(url).content.decode()
    page = client.get(url, {"next": 90}).content.decode()
    start = page.index("The next 90 days")
    section = page[start:page.index("</section>", start)]
    assert "Would <bdi>email “" in section and "their time" in section
    assert not Delivery.objects.exists()
