"""Issue 32: pressing an opt-in link proves the recipient holds the address the message went to,
nothing else — so it gives that channel's consent only. A form's or a guest's "yes" is confirmed by
e-mail and gives e-mail; the phone number beside it was typed by whoever filled the form, and an
e-mail link cannot prove it (nor can a confirmation asked for before this rule, which still reads
its channels from the action). A message whose channel was deleted since keeps its address's kind:
an SMS's links never reach e-mail consent."""
import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import TestCase

from masa import tracking
from masa.actions.due import sweep
from masa.models import Channel, Customer, Delivery, ScheduledAction, StoreEvent
from masa.signals import form_submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}


def post(client, path):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(path)


def consents(customer):
    customer.refresh_from_db()
    return customer.marketing_consent, customer.sms_consent, customer.whatsapp_consent


def test_a_forms_yes_with_a_strangers_number_gives_email_only_when_confirmed(client, email_channel, public):
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="newsletter", submission_id="1", email="noa@example.com",
                            answers={"marketing_consent": "yes", "sms_marketing_consent": "yes",
                                     "whatsapp_marketing_consent": "on"})
    noa = Customer.objects.get()
    Customer.objects.filter(pk=noa.pk).update(phone="+972501110000")  # someone else's number
    assert consents(noa) == (False, False, False)
    assert ScheduledAction.objects.get(params__template="masa-confirm-marketing").params["consent_kinds"] == ["email"]
    sweep()
    link = re.search(r"https://shop\.example(/\S+)", mail.outbox[0].body).group(1)
    assert "news and offers by e-mail?" in client.get(link).content.decode()

    assert post(client, link).status_code == 200
    assert consents(noa) == (True, False, False)
    assert noa.marketing_consent_source == "opt-in link"


def test_a_confirmation_that_asked_for_phone_channels_by_email_gives_email_only(client, email_channel, public):
    """One planned before this rule (its action asks for SMS and WhatsApp) proves the e-mail only."""
    dana = Customer.objects.create(email="dana@example.com", phone="+972501110000")
    event = StoreEvent.objects.create(source="test", source_id="form-1", name="form_submitted", customer=dana,
                                      occurred_at=dana.created_at, data={})
    action = ScheduledAction.objects.create(
        idempotency_key="confirm-marketing:old", customer=dana, event=event, step=0, kind="send",
        due_at=dana.created_at,
        params={"template": "masa-confirm-marketing", "channel": "email", "class": "transactional",
                "consent_kinds": ["sms", "whatsapp"]})
    delivery = Delivery.objects.create(idempotency_key=action.idempotency_key, action=action, channel=email_channel,
                                       customer=dana, to=dana.email, body="Confirm?", status=Delivery.Status.SENT)
    path = urlparse(tracking.opt_in_url(delivery.idempotency_key)).path
    assert "by e-mail?" in client.get(path).content.decode()
    post(client, path)
    assert consents(dana) == (True, False, False)


def test_an_opt_in_link_in_a_whatsapp_message_gives_whatsapp(client, public):
    dana = Customer.objects.create(email="dana@example.com", phone="+972501234568")
    channel = Channel.objects.create(name="Shop WhatsApp", kind="whatsapp")
    delivery = Delivery.objects.create(idempotency_key="ask:dana", channel=channel, customer=dana, to=dana.phone,
                                       body="Join?", status=Delivery.Status.SENT)
    path = urlparse(tracking.opt_in_url(delivery.idempotency_key)).path
    assert "news and offers by WhatsApp?" in client.get(path).content.decode()
    post(client, path)
    assert consents(dana) == (False, False, True)


def test_an_sms_whose_channel_was_deleted_never_reaches_email_consent(client, public):
    ruth = Customer.objects.create(email="ruth@example.com", phone="+972501234567", marketing_consent=True,
                                   sms_consent=True, whatsapp_consent=True)
    channel = Channel.objects.create(name="Old SMS provider", kind="sms")
    delivery = Delivery.objects.create(idempotency_key="news:ruth", channel=channel, customer=ruth, to=ruth.phone,
                                       body="News", status=Delivery.Status.SENT)
    channel.delete()  # the shop switched SMS providers; the delivery keeps no channel
    opt_in = urlparse(tracking.opt_in_url(delivery.idempotency_key)).path
    post(client, urlparse(tracking.unsubscribe_url(delivery.idempotency_key)).path)
    assert consents(ruth) == (True, False, False), "SMS or WhatsApp, unknown: both stop; e-mail stays"

    Customer.objects.filter(pk=ruth.pk).update(marketing_consent=False)
    assert post(client, opt_in).status_code == 400, "an SMS's link gives no e-mail consent"
    assert consents(ruth) == (False, False, False)


def test_a_forms_yes_given_as_true_still_only_asks(client, email_channel, public):
    """A site that passes its checkbox as a bool does not turn the visitor's word into the store's."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="newsletter", submission_id="2", email="tal@example.com",
                            answers={"marketing_consent": True})
    tal = Customer.objects.get()
    assert tal.marketing_consent is False
    assert ScheduledAction.objects.get(params__template="masa-confirm-marketing").params["consent_kinds"] == ["email"]
