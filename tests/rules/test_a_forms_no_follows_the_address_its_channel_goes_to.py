"""Issue 32: a form's "no" is the person's. For e-mail it reaches every customer with that e-mail
address; for SMS and WhatsApp every customer with the same phone number (the number is what those
messages go to), each kind on its own."""
import pytest
from django.test import TestCase

from masa.models import Customer
from masa.signals import form_submitted

pytestmark = pytest.mark.django_db
PHONE = "+972501234567"


def test_a_forms_sms_no_reaches_every_customer_with_that_phone_number(db):
    tal = Customer.objects.create(email="tal@example.com", phone=PHONE, sms_consent=True, whatsapp_consent=True,
                                  marketing_consent=True)
    same_number = Customer.objects.create(email="tal.work@example.com", store="other.example", phone=PHONE,
                                          sms_consent=True, marketing_consent=True)
    other_number = Customer.objects.create(email="tal@example.com", store="other.example", phone="+972509999999",
                                           sms_consent=True, marketing_consent=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="preferences", submission_id="1", email="tal@example.com",
                            answers={"sms_marketing_consent": "no"})
    for customer in (tal, same_number, other_number):
        customer.refresh_from_db()
    assert (tal.sms_consent, tal.whatsapp_consent, tal.marketing_consent) == (False, True, True)
    assert tal.sms_consent_source == "form preferences"
    assert same_number.sms_consent is False and same_number.sms_consent_source == "form preferences (same phone number)"
    assert same_number.marketing_consent is True
    assert other_number.sms_consent is True, "another number is not this person's SMS"


def test_a_forms_email_no_reaches_every_customer_with_that_email_only(db):
    tal = Customer.objects.create(email="tal@example.com", phone=PHONE, marketing_consent=True, sms_consent=True)
    elsewhere = Customer.objects.create(email="TAL@example.com", store="other.example", marketing_consent=True,
                                        sms_consent=True, phone=PHONE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="preferences", submission_id="2", email="tal@example.com",
                            answers={"marketing_consent": "no"})
    elsewhere.refresh_from_db()
    tal.refresh_from_db()
    assert (tal.marketing_consent, tal.sms_consent) == (False, True)
    assert (elsewhere.marketing_consent, elsewhere.sms_consent) == (False, True)
    assert elsewhere.marketing_consent_source == "form preferences (same e-mail)"
