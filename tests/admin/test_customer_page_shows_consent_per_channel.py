"""Issue 32: the customer page says each channel's marketing consent with when and where, in the
owner's words (Masa's own sources translated); Stop marketing stops one channel or all and says
which; the customers list shows the channels each customer agreed to."""
import re
from datetime import datetime, timezone

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.models import ModelLogEntry

from masa.admin.consent_words import source_words
from masa.models import Customer

from ..helpers import editor, in_hebrew

pytestmark = pytest.mark.django_db
MAY = datetime(2026, 5, 3, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def noa(db):
    return Customer.objects.create(
        email="noa@example.com", first_name="Noa", phone="+972501234567",
        marketing_consent=True, marketing_consent_at=MAY, marketing_consent_source="form newsletter",
        whatsapp_consent=True, whatsapp_consent_at=MAY, whatsapp_consent_source="opt-in link",
        sms_consent=False, sms_consent_at=MAY, sms_consent_source="asked to stop by SMS")


def page_of(client, customer) -> str:
    return client.get(reverse("masa_customer", args=[customer.pk])).content.decode()


def test_each_channel_says_yes_or_no_since_when_and_from_where(client, noa):
    client.force_login(editor())
    page = page_of(client, noa)
    assert "E-mail:" in page and "SMS:" in page and "WhatsApp:" in page
    assert "since 3 May 2026, from <bdi>form newsletter</bdi>" in page
    assert "from <bdi>the confirmation link they pressed</bdi>" in page
    assert "withdrawn on 3 May 2026, by <bdi>their reply asking to stop, by SMS</bdi>" in page
    assert "opt-in link" not in page.split('class="masa-ids"')[0], "Masa's own words are said, not shown raw"


def test_the_stop_marketing_quick_action_stops_one_channel_and_says_which(client, noa):
    user = editor()
    client.force_login(user)
    page = client.post(reverse("masa_customer", args=[noa.pk]), {"do": "unsubscribe", "channel": "whatsapp"},
                       follow=True).content.decode()
    noa.refresh_from_db()
    assert (noa.marketing_consent, noa.whatsapp_consent) == (True, False)
    assert noa.whatsapp_consent_source == "asked staff (edna)"
    assert "no more marketing messages on WhatsApp" in page
    assert ModelLogEntry.objects.get(action="masa.customer.unsubscribe").data == {"channels": ["whatsapp"]}

    client.post(reverse("masa_customer", args=[noa.pk]), {"do": "unsubscribe", "channel": "everything"})
    noa.refresh_from_db()
    assert not (noa.marketing_consent or noa.sms_consent or noa.whatsapp_consent), "anything else: all channels"


def test_the_customers_list_shows_the_channels_agreed_to(client, noa):
    Customer.objects.create(email="none@example.com")
    client.force_login(editor())
    page = client.get(reverse("masa_customers")).content.decode()
    row = page.split("noa@example.com")[-1].split("</tr>")[0]
    assert "✓ E-mail" in row and "✓ WhatsApp" in row and "SMS" not in row
    none = page.split("none@example.com")[-1].split("</tr>")[0]
    assert ">no</td>" in none


def test_sources_in_masas_words_are_translated_and_others_kept():
    with translation.override("en"):
        assert source_words("asked staff (dana)") == "the customer's request to dana"
        assert source_words("form preferences (same phone number)") == "form preferences, for the same phone number"
        assert source_words("the shop's own CRM") == "the shop's own CRM"


def test_the_page_in_hebrew_shows_every_channel_and_isolates_the_stores_words(client, noa):
    client.force_login(in_hebrew(editor()))
    page = page_of(client, noa)
    consent = page.split('class="masa-consent"')[1].split("</div>")[0]
    assert 'dir="rtl"' in page and consent.count('class="masa-consent-row ') == 3
    assert re.search(r"<bdi>[^<]*newsletter</bdi>", consent), "the form's name, as the shop wrote it, isolated"


def test_the_timeline_says_which_channel_an_unsubscribe_stopped(client, noa):
    from django.test import TestCase

    from masa.eventstore import store_events
    from masa.events import Identity, NormalizedEvent

    with TestCase.captureOnCommitCallbacks(execute=True):
        store_events("masa", [NormalizedEvent("unsubscribed", "unsubscribed:wa-1", MAY, Identity.of(noa),
                                              {"delivery": "", "template": "", "rule": "", "channel": "whatsapp"})])
    client.force_login(editor())
    page = page_of(client, noa)
    assert "no more marketing on WhatsApp" in page and "no more marketing by e-mail" not in page
