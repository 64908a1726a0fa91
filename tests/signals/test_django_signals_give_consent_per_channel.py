"""Issue 32: the site's own store says consent per channel with its Django signals —
``marketing_consent=`` (e-mail's, as before), ``sms_consent=``, ``whatsapp_consent=`` — as bools
only; a kind it does not name stays as it was."""
import pytest
from django.test import TestCase

from masa import signals
from masa.models import Customer, StoreEvent

pytestmark = pytest.mark.django_db


def send(signal, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signal.send(sender=None, **kwargs)


def test_each_keyword_gives_its_own_channel(db):
    send(signals.customer_created, customer_id=7, email="ruth@example.com", marketing_consent=False,
         sms_consent=True, whatsapp_consent=True)
    ruth = Customer.objects.get()
    assert (ruth.marketing_consent, ruth.sms_consent, ruth.whatsapp_consent) == (False, True, True)
    assert ruth.sms_consent_source == "the store"

    send(signals.customer_updated, customer_id=7, email="ruth@example.com", sms_consent=False)
    ruth.refresh_from_db()
    assert (ruth.marketing_consent, ruth.sms_consent, ruth.whatsapp_consent) == (False, False, True)


def test_a_value_that_is_not_a_bool_is_dropped_and_the_event_kept(db):
    send(signals.order_placed, order_id="1", customer_id=7, email="ruth@example.com", total=10, currency="EUR",
         lines=[], sms_consent="yes", whatsapp_consent=1, marketing_consent=True)
    data = StoreEvent.objects.get().data
    assert "sms_consent" not in data and "whatsapp_consent" not in data and data["marketing_consent"] is True
    ruth = Customer.objects.get()
    assert (ruth.marketing_consent, ruth.sms_consent, ruth.whatsapp_consent) == (True, False, False)


def test_the_stores_word_on_one_channel_leaves_the_metadata_of_another_to_speak(db):
    send(signals.customer_created, customer_id=7, email="ruth@example.com", sms_consent=True,
         metadata={"whatsapp_marketing_consent": "yes", "sms_marketing_consent": "no"})
    ruth = Customer.objects.get()
    assert (ruth.sms_consent, ruth.whatsapp_consent) == (True, True)
    assert ruth.whatsapp_consent_source == "Saleor customer metadata"
