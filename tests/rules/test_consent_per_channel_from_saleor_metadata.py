"""Issue 32: each channel's consent has its own key in Saleor's public metadata
(``MASA["CONSENT_METADATA_KEYS"]``: ``sms_marketing_consent``, ``whatsapp_marketing_consent``; e-mail's
stays ``marketing_consent``). The customer's account says it for itself; a guest's checkout speaks for
the guest's customer only, its e-mail "yes" only asks (confirmed by e-mail; a phone's "yes" is not
taken from a guest at all) and its "no" holds at once; an
older word changes nothing — each kind on its own."""
import pytest
from django.utils.dateparse import parse_datetime

from masa.models import Customer, ScheduledAction

from ..helpers import customer_body, guest_checkout, later, post_signed

pytestmark = pytest.mark.django_db
USER_1 = "VXNlcjox"


def checkout(email, metadata: dict, when, checkout_id="Q2hlY2tvdXQ6Z3Vlc3Q="):
    body = guest_checkout(email, "", when, checkout_id)
    body["checkout"]["metadata"] = [{"key": k, "value": v} for k, v in metadata.items()]
    return body


def test_the_accounts_own_metadata_gives_each_channel_at_once(client, signing_store):
    created = customer_body("customer_created", user_id=USER_1, when=later(1), metadata={
        "marketing_consent": "no", "sms_marketing_consent": "yes", "whatsapp_marketing_consent": "true"})
    post_signed(client, signing_store, "customer_created", created)
    ruth = Customer.objects.get()
    assert (ruth.marketing_consent, ruth.sms_consent, ruth.whatsapp_consent) == (False, True, True)
    assert ruth.sms_consent_source == "Saleor customer metadata"
    assert ruth.whatsapp_consent_at == parse_datetime(created["issuedAt"])
    assert not ScheduledAction.objects.exists(), "the account's own word needs no confirmation"


def test_the_keys_are_the_shops_to_name(client, signing_store, settings):
    settings.MASA = {**settings.MASA, "CONSENT_METADATA_KEYS": {"whatsapp": "wa_ok"}}
    post_signed(client, signing_store, "customer_created", customer_body(
        "customer_created", user_id=USER_1, metadata={"wa_ok": "yes", "sms_marketing_consent": "yes"}))
    ruth = Customer.objects.get()
    assert (ruth.whatsapp_consent, ruth.sms_consent) == (True, False), "SMS has no key here: read from nowhere"


def test_a_guests_checkout_yes_asks_by_email_for_email_only_and_its_no_holds_at_once(client, signing_store):
    """The guest typed the phone number too: an e-mail confirmation cannot prove it, and Masa does
    not text a number anyone can type, so a guest's WhatsApp "yes" is neither recorded nor asked."""
    post_signed(client, signing_store, "checkout_updated", checkout("noa@example.com", {}, later(1)))
    noa = Customer.objects.get()
    Customer.objects.filter(pk=noa.pk).update(sms_consent=True, sms_consent_source="opt-in link",
                                              sms_consent_at=noa.created_at)
    post_signed(client, signing_store, "checkout_updated", checkout("noa@example.com", {
        "whatsapp_marketing_consent": "yes", "sms_marketing_consent": "no", "marketing_consent": "yes"},
        later(2), "Q2hlY2tvdXQ6Mg=="))
    noa.refresh_from_db()
    assert (noa.whatsapp_consent, noa.marketing_consent) == (False, False), "a guest's yes only asks"
    asked = ScheduledAction.objects.get(params__template="masa-confirm-marketing")
    assert asked.params["consent_kinds"] == ["email"] and asked.params["channel"] == "email"
    assert noa.sms_consent is False and noa.sms_consent_source == "Saleor checkout metadata"


def test_a_guests_phone_yes_alone_asks_nothing(client, signing_store):
    post_signed(client, signing_store, "checkout_updated", checkout("noa@example.com", {
        "sms_marketing_consent": "yes", "whatsapp_marketing_consent": "yes"}, later(1)))
    noa = Customer.objects.get()
    assert (noa.sms_consent, noa.whatsapp_consent) == (False, False)
    assert not ScheduledAction.objects.exists()


def test_a_guests_checkout_says_nothing_for_the_account_with_that_email(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_body(
        "customer_created", user_id=USER_1, metadata={"sms_marketing_consent": "yes"}))
    post_signed(client, signing_store, "checkout_updated", checkout("ruth@example.com", {
        "sms_marketing_consent": "no", "whatsapp_marketing_consent": "yes"}, later(2)))
    ruth = Customer.objects.get()
    assert (ruth.sms_consent, ruth.whatsapp_consent) == (True, False)
    assert not ScheduledAction.objects.exists()


def test_an_older_word_changes_nothing_of_its_own_kind_only(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_body(
        "customer_created", user_id=USER_1, metadata={"sms_marketing_consent": "yes"}, when=later(0)))
    post_signed(client, signing_store, "customer_updated", customer_body(
        user_id=USER_1, metadata={"sms_marketing_consent": "no"}, when=later(3)))
    Customer.objects.update(sms_consent_source="asked staff (dana)")
    late = customer_body(user_id=USER_1, when=later(1),
                         metadata={"sms_marketing_consent": "yes", "marketing_consent": "yes"})
    post_signed(client, signing_store, "customer_updated", late)   # issued before the "no", delivered after
    ruth = Customer.objects.get()
    assert ruth.sms_consent is False and ruth.sms_consent_source == "asked staff (dana)"
    assert ruth.marketing_consent is True, "e-mail's word in it is newer than e-mail's on record"
