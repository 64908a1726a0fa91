"""What outside senders tried against issue 28's fixes (a review through public surfaces only): another
app or store of the site, a guest at a checkout, anyone with a form, Saleor's own late retries."""
import json

import httpx
import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from masa.actions.due import sweep
from masa.models import Customer, InboundDelivery, Rule, SaleorApp, StoreEvent
from masa.saleor import client as saleor_client
from masa.saleor import installation
from masa.signals import form_submitted

from ..helpers import STORE_API_URL, STORE_DOMAIN, customer_body, customer_payload, guest_checkout, later
from ..helpers import order_payload, post_signed

pytestmark = pytest.mark.django_db

USER_1 = "VXNlcjox"


# ─ another app of the same store: a signed APP_DELETED that names no app


def test_only_masas_own_app_deleted_uninstalls_masa(client, signing_store):
    """Saleor signs every app's webhooks with the same key, and Masa's URL is public: another app of
    the store can point its own APP_DELETED subscription (a query without ``app { id }``) at it.
    An APP_DELETED of an app that is not Masa's must leave Masa's install alone."""
    SaleorApp.objects.create(domain=STORE_DOMAIN, api_url=STORE_API_URL, app_id="QXBwOjc=",
                             token_encrypted=installation.encrypt("masa-token"), status=SaleorApp.Status.INSTALLED)
    other_app = post_signed(client, signing_store, "app_deleted",
                            {"issuedAt": later(0).isoformat(), "app": {"id": "QXBwOjk="}})
    assert other_app.status_code == 200
    assert SaleorApp.objects.get().status == SaleorApp.Status.INSTALLED  # holds: another app's id
    for body in ({"issuedAt": later(1).isoformat(), "version": "3.23.0"},
                 {"issuedAt": later(2).isoformat(), "app": None}):
        assert post_signed(client, signing_store, "app_deleted", body).status_code == 200
        app = SaleorApp.objects.get()
        assert app.status == SaleorApp.Status.INSTALLED and installation.token_of(app) == "masa-token"


# ─ another Saleor store on the same site: its install takes a configured store's domain


def test_a_store_cannot_install_under_a_configured_stores_domain(client, settings, monkeypatch):
    """Store A is configured (webhooks, no token); store B is an allowed App store whose admin set
    B's site domain to A's. B's install takes A's domain, and every Saleor action for A's customers
    (metadata with A's customer ids and facts, vouchers) then goes to B's API with B's token."""
    other_api = "https://b.example.com/graphql/"
    settings.MASA = {**settings.MASA, "SALEOR_APP_API_URLS": [other_api]}

    def call(request):
        return httpx.Response(200, json={"data": {
            "app": {"id": "QXBwOjE=", "identifier": installation.APP_ID, "name": "x", "webhooks": []},
            "shop": {"domain": {"host": STORE_DOMAIN}}}})
    monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", httpx.MockTransport(call))
    client.post(reverse("masa:saleor-register"), data=json.dumps({"auth_token": "b-token"}),
                content_type="application/json", HTTP_SALEOR_API_URL=other_api)
    assert installation.credentials(STORE_DOMAIN) is None, "store A's actions would go to store B"
    assert not SaleorApp.objects.filter(domain__iexact=STORE_DOMAIN).exclude(api_url=STORE_API_URL).exists()


# ─ a guest at a checkout: consent for an address that is not theirs


def test_a_guest_checkout_yes_gives_no_consent_until_the_mailbox_confirms(client, signing_store):
    """Anyone can start a checkout with any e-mail and write its metadata: a form's "yes" needs
    double opt-in for exactly this reason, a checkout's "yes" does not."""
    post_signed(client, signing_store, "checkout_updated", guest_checkout("victim@example.com", "true", later(1)))
    victim = Customer.objects.get(email="victim@example.com")
    assert victim.marketing_consent is False


def test_a_guest_checkout_cannot_turn_a_no_back_into_a_yes(client, signing_store):
    """Dana (a guest) said no in her own checkout; a stranger's checkouts with her address say
    "false" then "true" (each is news) and she is subscribed again."""
    post_signed(client, signing_store, "checkout_updated",
                guest_checkout("dana@example.com", "false", later(1), "Q2hlY2tvdXQ6ZGFuYQ=="))
    post_signed(client, signing_store, "checkout_updated", guest_checkout("dana@example.com", "true", later(2)))
    dana = Customer.objects.get(email="dana@example.com")
    assert dana.marketing_consent is False, dana.marketing_consent_source


def test_a_guest_order_changes_nothing_of_the_account_it_shares_an_email_with(client, signing_store):
    """Consent no longer crosses from a guest's order to the account with that e-mail, but the
    phone does: the account's SMS (names, vouchers) then go to the stranger's number; and the
    stranger's address country moves her time zone."""
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=False))
    post_signed(client, signing_store, "customer_updated", customer_body(country="IL", when=later(1)))
    ruth = Customer.objects.get()
    assert ruth.phone == "" and ruth.time_zone == "Asia/Jerusalem"
    guest = order_payload(email="ruth@example.com", user_id=None, when=later(2), consent=False)
    guest["order"]["user"] = None
    guest["order"]["billingAddress"] = {"phone": "+15550001111", "country": {"code": "JP"}}
    post_signed(client, signing_store, "order_created", guest)
    ruth.refresh_from_db()
    assert (ruth.phone, ruth.time_zone) == ("", "Asia/Jerusalem")


# ─ the store itself, out of order: deliveries issued before a later one arrive after it


def test_a_delivery_after_the_deletion_does_not_bring_the_customer_back(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1))
    post_signed(client, signing_store, "customer_deleted",
                {"issuedAt": later(3).isoformat(), "user": {"id": USER_1, "email": "ruth@example.com"}})
    assert not Customer.objects.exists()
    # A retry of an update Saleor issued before the deletion (its first attempt got a 503).
    post_signed(client, signing_store, "customer_updated", customer_body(first="Ruth", when=later(1)))
    assert not Customer.objects.filter(email="ruth@example.com").exists()
    assert not InboundDelivery.objects.filter(body__contains="ruth@example.com").exists()


def test_an_older_update_delivered_late_does_not_undo_a_no(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=True))
    post_signed(client, signing_store, "customer_updated",
                customer_body(metadata={"marketing_consent": "false"}, when=later(3)))
    assert Customer.objects.get().marketing_consent is False
    post_signed(client, signing_store, "customer_updated",
                customer_body(metadata={"marketing_consent": "true"}, when=later(1)))
    assert Customer.objects.get().marketing_consent is False


# ─ a form: its "no" reaches only the site's in-process store


def test_a_form_no_withdraws_consent_in_every_store(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=True))
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="preferences", submission_id="1", email="ruth@example.com",
                            answers={"marketing_consent": "no"})
    assert Customer.objects.get(store=STORE_DOMAIN).marketing_consent is False


# ─ the write suppression: a real change with nothing stored about it is dropped


def test_a_customer_update_that_changes_only_the_country_fires_its_rules(client, signing_store):
    """``country`` is a field of customer_updated that rules read, but Masa keeps no column for
    it: a move from Israel to the United States (several zones: no time zone change) is recorded
    as "nothing changed" and no rule on customer_updated runs."""
    Rule.objects.create(rule_id="moved", title="Moved", definition={
        "trigger": {"event": "customer_updated"}, "steps": [{"tag": "profile-changed"}]})
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1))
    post_signed(client, signing_store, "customer_updated", customer_body(country="IL", when=later(1)))
    Customer.objects.update(tags=[])
    post_signed(client, signing_store, "customer_updated", customer_body(country="US", when=later(2)))
    latest = StoreEvent.objects.filter(name="customer_updated").order_by("-occurred_at").first()
    assert latest.data["country"] == "US"
    assert latest.status != "ignored" and Customer.objects.get().tags == ["profile-changed"]


# ─ a form: the double opt-in's "once a day per address" is once a day per spelling


def test_one_mailbox_gets_one_confirmation_however_its_address_is_spelled(email_channel, settings):
    """The limit is per Masa customer, and a customer is found by the e-mail string as sent (only
    its case folded): spaces around it or a display name make a new customer each, and each gets
    its confirmation, all delivered to the same mailbox."""
    from email.utils import parseaddr

    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    spellings = ["ruth@example.com", " ruth@example.com", "ruth@example.com ", "  ruth@example.com",
                 "Ruth <ruth@example.com>", "R <ruth@example.com>"]
    for n, address in enumerate(spellings):
        with TestCase.captureOnCommitCallbacks(execute=True):
            form_submitted.send(sender=None, form="newsletter", submission_id=f"spam-{n}", email=address,
                                answers={"marketing_consent": "yes"})
    sweep()
    to_ruth = [m for m in mail.outbox if parseaddr(m.to[0])[1].strip().lower() == "ruth@example.com"]
    assert len(to_ruth) == 1, [m.to for m in to_ruth]


# ─ erasure: the in-process store's customer reaches into every Saleor store's bodies


def test_erasing_a_form_customer_leaves_the_saleor_stores_deliveries_alone(client, signing_store):
    """A form makes a customer of the in-process store (store ""); erasing her (an editor, or the
    command) must not touch the Saleor store's customer with the same e-mail, yet ``_bodies_naming``
    filters by store only when the store is not empty, so every store's bodies naming the address
    are blanked: the Saleor customer stays, her raw deliveries are gone."""
    from masa.privacy import erase_customer

    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=True))
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="contact", submission_id="1", email="ruth@example.com", answers={})
    erase_customer(Customer.objects.get(store=""), by="staff")
    assert Customer.objects.filter(store=STORE_DOMAIN).exists()
    assert InboundDelivery.objects.filter(domain=STORE_DOMAIN).exclude(body="").exists()
