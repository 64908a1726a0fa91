"""Issue 32: an ``unsubscribed`` event withdraws the consent of its channel only — a WhatsApp STOP
reply (as Meta delivers it) stops WhatsApp marketing, and e-mail and SMS stay as the customer said."""
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from masa.eventstore import store_events
from masa.events import Identity, NormalizedEvent
from masa.models import Customer, StoreEvent

from ..signals.whatsapp_meta import SENT_WAMID, post_whatsapp, ruth, sent, text_message, whatsapp_channel  # noqa: F401

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def test_a_stop_reply_on_whatsapp_withdraws_whatsapp_consent_only(client, sent, ruth):
    Customer.objects.filter(pk=ruth.pk).update(sms_consent=True)
    post_whatsapp(client, sent.channel, text_message("STOP", NOW, context=SENT_WAMID))

    ruth.refresh_from_db()
    assert StoreEvent.objects.get(name="unsubscribed").status == StoreEvent.Status.PROCESSED
    assert ruth.whatsapp_consent is False and ruth.whatsapp_consent_source == "asked to stop on WhatsApp"
    assert ruth.whatsapp_consent_at == NOW
    assert ruth.marketing_consent is True and ruth.sms_consent is True, "e-mail and SMS stay as she said"


def test_an_unsubscribe_of_the_sms_channel_withdraws_sms_only(db):
    ruth = Customer.objects.create(email="ruth@example.com", phone="+972501234567", marketing_consent=True,
                                   sms_consent=True, whatsapp_consent=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        store_events("masa", [NormalizedEvent("unsubscribed", "unsubscribed:sms-1", NOW, Identity.of(ruth),
                                              {"delivery": "", "template": "", "rule": "", "channel": "sms"})])
    ruth.refresh_from_db()
    assert (ruth.marketing_consent, ruth.sms_consent, ruth.whatsapp_consent) == (True, False, True)
    assert ruth.sms_consent_source == "asked to stop by SMS"


def test_an_unsubscribe_that_names_no_channel_is_an_email_one(db):
    """Unsubscribes stored before consent per channel carry no channel: they were e-mail's."""
    ruth = Customer.objects.create(email="ruth@example.com", marketing_consent=True, whatsapp_consent=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        store_events("masa", [NormalizedEvent("unsubscribed", "unsubscribed:old", NOW, Identity.of(ruth),
                                              {"delivery": "d", "template": "t", "rule": ""})])
    ruth.refresh_from_db()
    assert (ruth.marketing_consent, ruth.whatsapp_consent) == (False, True)
    assert ruth.marketing_consent_source == "unsubscribe link"
