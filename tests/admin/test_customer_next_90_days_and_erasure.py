"""The customer page (issue 30): the next 90 days in date order, each line dated when it would
happen and none beyond the 90 days; erasing a customer set apart at the end, its consequences
in words, still needing the email typed."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.models import Customer, Delivery
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file

from ..helpers import editor, in_hebrew, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def miriam(client, signing_store, email_channel, settings):
    """The senior-care pack, and an order three days ago: its keep-in-touch message is skipped
    each time a newer message goes, and some of its steps fall after the 90 days."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store, when=timezone.now() - timedelta(days=3),
                lines=[("Pads", "absorbent", 2, 30), ("Walker", "walking-aids", 1, 120)])
    return Customer.objects.get()


def test_the_next_90_days_are_in_date_order_within_them_and_dated_when_they_would_happen(client, miriam):
    client.force_login(viewer())
    start = timezone.now()
    response = client.get(reverse("masa_customer", args=[miriam.pk]), {"next": 90})
    upcoming = response.context["upcoming"]
    moments = [item["at"] for item in upcoming]
    assert moments == sorted(moments), upcoming
    assert all(start - timedelta(minutes=1) <= at <= timezone.now() + timedelta(days=90) for at in moments), upcoming
    assert not any(item["status"] in ("pending", "later") for item in upcoming), "nothing beyond the 90 days"

    skips = [item for item in upcoming if item["status"] == "cancelled"]
    assert len(skips) >= 2, upcoming
    for skip in skips:  # dated when it would be skipped: when the newer message goes, not today
        went = re.search(r"went on (\d{4}-\d{2}-\d{2})", skip["note"]).group(1)
        assert f"{skip['at']:%Y-%m-%d}" == went, skip
    assert any(f"{skip['at']:%Y-%m-%d}" != f"{start:%Y-%m-%d}" for skip in skips)

    page = response.content.decode()
    section = page[page.index("The next 90 days"):page.index('<section class="masa-story"')]
    rows = re.findall(r'<span class="masa-forecast-when">(.*?)</span>', section)
    assert rows == [item["when"] for item in upcoming]  # the page lists them in that order
    assert not Delivery.objects.exists()


def _erasure_section(page: str) -> str:
    return page[page.index('<section class="masa-danger-zone"'):page.index("</section>", page.index("masa-danger-zone"))]


def test_erasing_is_set_apart_at_the_end_with_its_consequences_and_still_needs_the_email(client, miriam):
    client.force_login(editor())
    url = reverse("masa_customer", args=[miriam.pk])
    page = client.get(url).content.decode()
    staff = page[page.index('<section class="masa-staff"'):page.index('<section class="masa-danger-zone"')]
    assert "Add note" in staff and "erase" not in staff.lower(), "not beside Add note"
    section = _erasure_section(page)
    assert page.index("masa-danger-zone") > page.index('<section class="masa-staff"') > page.index("masa-story")
    assert "Danger zone: erase this customer" in section
    assert "deletes everything Masa knows about this customer" in section
    assert "This cannot be undone." in section
    assert "If they order again later, they start as a new customer" in section
    assert f"Type <strong><bdi>{miriam.email}</bdi></strong> to confirm" in section
    assert 'name="confirm_email"' in section and 'value="erase"' in section

    response = client.post(url, {"do": "erase", "confirm_email": ""}, follow=True)
    assert "Type the customer&#x27;s email address to confirm the erasure" in response.content.decode()
    client.post(url, {"do": "erase", "confirm_email": "someone@else.example"})
    assert Customer.objects.filter(pk=miriam.pk).exists()
    response = client.post(url, {"do": "erase", "confirm_email": miriam.email.upper()}, follow=True)
    assert f"Customer #{miriam.pk} erased" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_viewer_sees_no_erasure(client, miriam):
    client.force_login(viewer())
    page = client.get(reverse("masa_customer", args=[miriam.pk])).content.decode()
    assert "masa-danger-zone" not in page and "confirm_email" not in page


def test_the_erasure_and_its_consequences_are_in_hebrew(client, miriam):
    user = in_hebrew(editor())
    client.force_login(user)
    section = _erasure_section(client.get(reverse("masa_customer", args=[miriam.pk])).content.decode())
    assert "אזור מסוכן: מחיקת הלקוח" in section and "אי אפשר לבטל את זה." in section
    assert "כלקוח חדש" in section and "Erase" not in section
