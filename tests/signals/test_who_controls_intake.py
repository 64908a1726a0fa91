"""Issue 28, items 1–4, 10, 14 and 16: every intake field trusted only as far as its sender — another
store, a guest at the checkout, anyone with a form — and a customer's "no" and "delete me" heard
however Saleor emits them. All through signed deliveries at the webhook, as Saleor sends them."""
import json
import re

import pytest
from django.core import mail
from django.test import TestCase
from wagtail.models import ModelLogEntry

from masa.actions.due import sweep
from masa.models import Customer, InboundDelivery, MessageTemplate, Rule, ScheduledAction, StoreEvent
from masa.saleor.actions import ActionRefused, write_customer_metadata
from masa.signals import form_submitted

from ..helpers import (STORE_API_URL, STORE_DOMAIN, SHARED, customer_body, customer_payload, guest_checkout, later,
                       order_payload, post_signed, post_webhook, typename_for)
from ..saleor_fake import FakeSaleor

pytestmark = pytest.mark.django_db

OTHER_DOMAIN, OTHER_API = "other.example.com", "https://other.example.com/graphql/"
USER_1 = "VXNlcjox"
CAPTURED_323 = SHARED / "saleor" / "captured-3.23"


@pytest.fixture
def two_stores(settings, signing_store):
    """The test store and another one, both signing with the test key."""
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [*settings.MASA["SALEOR_STORES"],
                                                        {"domain": OTHER_DOMAIN, "api_url": OTHER_API}]}
    return signing_store


def post_to(client, signer, event, payload, domain=STORE_DOMAIN, api_url=STORE_API_URL):
    payload = {"__typename": typename_for(event), **{k: v for k, v in payload.items() if k != "__typename"}}
    body = json.dumps(payload).encode()
    return post_webhook(client, body, signer.headers(event, body, domain, api_url))


# 1 ─ a customer is (store, Saleor id)


def test_the_same_saleor_user_id_in_two_stores_is_two_customers(client, two_stores, email_channel):
    MessageTemplate.objects.create(key="thanks", subject="Thanks", body="Thanks for order {{ order.number }}")
    Rule.objects.create(rule_id="thanks", title="Thanks", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "thanks", "class": "transactional"}}]})
    assert post_to(client, two_stores, "customer_created", customer_body(
        "customer_created", email="ruth@shop-a.example")).json()["status"] == "accepted"
    created_b = post_to(client, two_stores, "customer_created", customer_body(
        "customer_created", email="bella@shop-b.example", first="Bella"), OTHER_DOMAIN, OTHER_API)
    assert created_b.json()["status"] == "accepted"
    post_to(client, two_stores, "customer_updated", customer_body(
        email="bella@shop-b.example", first="Bella B", when=later(1)), OTHER_DOMAIN, OTHER_API)

    shop_a = Customer.objects.get(store=STORE_DOMAIN, store_id=USER_1)
    shop_b = Customer.objects.get(store=OTHER_DOMAIN, store_id=USER_1)
    assert (shop_a.email, shop_a.first_name) == ("ruth@shop-a.example", "Ruth")
    assert (shop_b.email, shop_b.first_name) == ("bella@shop-b.example", "Bella B")
    assert StoreEvent.objects.filter(name="customer_created").count() == 2

    post_to(client, two_stores, "order_created", order_payload(email="ruth@shop-a.example", user_id=USER_1))
    sweep()
    assert [message.to for message in mail.outbox] == [["ruth@shop-a.example"]]


def test_a_guest_of_one_store_is_not_the_same_email_in_another(client, two_stores):
    post_to(client, two_stores, "order_created", order_payload(email="dana@example.com", user_id=None))
    post_to(client, two_stores, "order_created", order_payload(email="dana@example.com", user_id=None),
            OTHER_DOMAIN, OTHER_API)
    assert sorted(Customer.objects.values_list("store", "orders_count")) == [(STORE_DOMAIN, 1), (OTHER_DOMAIN, 1)]


def test_a_saleor_action_uses_only_the_customers_own_stores_token(settings, monkeypatch):
    from masa.saleor import client as saleor_client

    settings.MASA = {**settings.MASA, "SALEOR_STORES": [
        {"domain": STORE_DOMAIN, "api_url": STORE_API_URL, "app_token": "token-a", "retry_backoff": 0},
        {"domain": OTHER_DOMAIN, "api_url": OTHER_API}]}
    fake = FakeSaleor(UpdatePrivateMetadata=lambda variables: {
        "updatePrivateMetadata": {"item": {"privateMetadata": variables["input"]}, "errors": []}})
    monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", fake.transport())
    of_b = Customer.objects.create(store=OTHER_DOMAIN, store_id=USER_1, email="bella@shop-b.example")
    with pytest.raises(ActionRefused, match=OTHER_DOMAIN):
        write_customer_metadata(of_b, ["tier"])
    assert fake.requests == []

    of_a = Customer.objects.create(store=STORE_DOMAIN, store_id=USER_1, email="ruth@shop-a.example")
    write_customer_metadata(of_a, ["tier"])
    assert [r["authorization"] for r in fake.requests] == ["Bearer token-a"]


def test_the_admin_says_which_store_a_customer_belongs_to(client, two_stores):
    from ..helpers import viewer

    post_to(client, two_stores, "customer_created", customer_body("customer_created"), OTHER_DOMAIN, OTHER_API)
    customer = Customer.objects.get()
    client.force_login(viewer())
    assert OTHER_DOMAIN in client.get(f"/admin/masa/customers/{customer.pk}/").content.decode()
    assert OTHER_DOMAIN in client.get("/admin/masa/customers/").content.decode()


def test_the_dashboard_link_finds_the_customer_of_the_store_that_opened_it(client, two_stores):
    from ..helpers import viewer

    post_to(client, two_stores, "customer_created", customer_body("customer_created"))
    post_to(client, two_stores, "customer_created", customer_body("customer_created", email="b@b.example"),
            OTHER_DOMAIN, OTHER_API)
    client.force_login(viewer())
    of_b = Customer.objects.get(store=OTHER_DOMAIN)
    response = client.get("/admin/masa/customers/from-saleor/", {"id": USER_1, "saleorApiUrl": OTHER_API})
    assert response.status_code == 302 and response["Location"].endswith(f"/customers/{of_b.pk}/")


# 2 ─ consent changes only from what the customer controls


@pytest.fixture
def ruth(client, signing_store):
    """A registered customer who has not agreed to marketing."""
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=False))
    return Customer.objects.get()


def test_a_guest_checkout_cannot_give_a_registered_customer_consent(client, signing_store, ruth):
    post_signed(client, signing_store, "checkout_updated", guest_checkout("RUTH@example.com", "true"))
    ruth.refresh_from_db()
    assert ruth.marketing_consent is False


def test_a_guest_checkout_cannot_withdraw_a_registered_customers_consent(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=True))
    post_signed(client, signing_store, "checkout_updated", guest_checkout("ruth@example.com", "false"))
    assert Customer.objects.get().marketing_consent is True


def test_a_guests_checkout_yes_is_confirmed_by_the_mailbox_before_it_counts(client, signing_store, email_channel,
                                                                               settings):
    """Anyone at a checkout can type anyone's address: a guest's "yes" in checkout metadata only
    asks, by a signed link to that address; a guest's "no" holds at once."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    post_signed(client, signing_store, "checkout_updated", guest_checkout("noa@example.com", "true"))
    guest = Customer.objects.get()
    assert guest.marketing_consent is False
    sweep()
    assert [m.to for m in mail.outbox] == [["noa@example.com"]]
    link = re.search(r"https://shop\.example(/\S+)", mail.outbox[0].body).group(1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(link).status_code == 200
    guest.refresh_from_db()
    assert guest.marketing_consent is True and guest.marketing_consent_source == "opt-in link"

    post_signed(client, signing_store, "checkout_updated", guest_checkout("noa@example.com", "false", later(5)))
    guest.refresh_from_db()
    assert guest.marketing_consent is False and guest.marketing_consent_source == "Saleor checkout metadata"


def test_consent_a_guest_gave_in_checkout_metadata_before_is_not_carried_to_the_account(client, signing_store):
    """Consent recorded from a guest's checkout metadata before double opt-in (data of an earlier
    version) is the guest's word: the account the guest becomes has not given it."""
    post_signed(client, signing_store, "checkout_updated", guest_checkout("noa@example.com", "false"))
    Customer.objects.update(marketing_consent=True, marketing_consent_source="Saleor checkout metadata")
    post_signed(client, signing_store, "customer_created",
                customer_payload(user_id=USER_1, email="noa@example.com", consent=False, when=later(2)))
    account = Customer.objects.get()
    assert account.store_id == USER_1
    assert account.marketing_consent is False and "guest" in account.marketing_consent_source


def test_a_form_yes_is_confirmed_by_a_signed_link_before_it_counts(client, ruth, email_channel, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="newsletter", submission_id="1", email="ruth@example.com",
                            answers={"marketing_consent": "yes"})
    ruth = Customer.objects.get(store="")  # the form is the site's own in-process store
    from ..helpers import viewer

    client.force_login(viewer())
    assert client.get(f"/admin/masa/customers/{ruth.pk}/").status_code == 200  # a send of no rule, shown
    sweep()
    assert ruth.marketing_consent is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ruth@example.com"]
    link = re.search(r"https://shop\.example(/\S+)", mail.outbox[0].body).group(1)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(link).status_code == 200
    ruth.refresh_from_db()
    assert ruth.marketing_consent is True and ruth.marketing_consent_source == "opt-in link"
    assert ruth.marketing_consent_at is not None

    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="newsletter", submission_id="2", email="ruth@example.com",
                            answers={"marketing_consent": "yes"})
    assert ScheduledAction.objects.filter(params__template="masa-confirm-marketing").count() == 1


def test_a_form_cannot_mail_the_same_address_confirmations_over_and_over(ruth, email_channel, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    for n in range(5):
        with TestCase.captureOnCommitCallbacks(execute=True):
            form_submitted.send(sender=None, form="newsletter", submission_id=f"spam-{n}", email="ruth@example.com",
                                answers={"marketing_consent": "yes"})
    sweep()
    assert len(mail.outbox) == 1


def test_a_form_no_withdraws_at_once(db):
    customer = Customer.objects.create(email="tal@example.com", marketing_consent=True,
                                       marketing_consent_source="opt-in link")
    with TestCase.captureOnCommitCallbacks(execute=True):
        form_submitted.send(sender=None, form="preferences", submission_id="1", email="tal@example.com",
                            answers={"marketing_consent": "no"})
    customer.refresh_from_db()
    assert customer.marketing_consent is False and customer.marketing_consent_source == "form preferences"


# 3 ─ a metadata change arrives as CUSTOMER_METADATA_UPDATED alone


def test_a_no_in_customer_metadata_updated_alone_stops_a_pending_marketing_email(client, signing_store,
                                                                                     email_channel):
    MessageTemplate.objects.create(key="news", subject="News", body="News")
    Rule.objects.create(rule_id="news", title="News", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1h"}, {"send": {"template": "news"}}]})
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1, consent=True))
    post_signed(client, signing_store, "order_created", order_payload(user_id=USER_1))
    captured = json.loads((CAPTURED_323 / "013_customer_metadata_updated.body.json").read_text())
    captured["issuedAt"] = later(1).isoformat()
    captured["user"].update(id=USER_1, email="ruth@example.com",
                            metadata=[{"key": "marketing_consent", "value": "false"}])
    assert post_signed(client, signing_store, "customer_metadata_updated", captured).json()["events"] == 1

    customer = Customer.objects.get()
    assert customer.marketing_consent is False and customer.marketing_consent_source == "Saleor customer metadata"
    sweep(now=later(120))
    assert mail.outbox == []
    assert "consent" in ScheduledAction.objects.get(kind="send").cancel_reason


def test_every_subscribed_saleor_event_is_one_masa_reads():
    from masa.saleor.webhooks import planned_webhooks
    from masa.signals import normalize

    subscribed = {event.lower() for webhook in planned_webhooks("https://masa.example/") for event in webhook["events"]}
    assert subscribed <= normalize.SUPPORTED_EVENTS
    assert not subscribed & normalize.ACKNOWLEDGED_EVENTS, "a subscribed event that makes nothing"


# 4 ─ "delete me"


def test_a_customer_deleted_in_saleor_is_erased_at_once_and_recorded(client, signing_store, email_channel):
    MessageTemplate.objects.create(key="news", subject="News", body="News")
    Rule.objects.create(rule_id="news", title="News", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1h"}, {"send": {"template": "news"}}]})
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1))
    post_signed(client, signing_store, "order_created", order_payload(user_id=USER_1))
    customer_pk = Customer.objects.get().pk
    assert ScheduledAction.objects.filter(status="pending").exists()

    deleted = {"issuedAt": later(1).isoformat(), "user": {"id": USER_1, "email": "ruth@example.com"}}
    assert post_signed(client, signing_store, "customer_deleted", deleted).status_code == 200
    assert not Customer.objects.exists() and not ScheduledAction.objects.exists()
    sweep(now=later(120))
    assert mail.outbox == []
    entry = ModelLogEntry.objects.get(action="masa.customer.erase", object_id=str(customer_pk))
    assert "deleted" in entry.data["by"] and "ruth" not in json.dumps(entry.data)
    assert not InboundDelivery.objects.filter(body__contains="ruth@example.com").exists()

    again = {**deleted, "issuedAt": later(2).isoformat()}
    assert post_signed(client, signing_store, "customer_deleted", again).status_code == 200
    assert ModelLogEntry.objects.filter(action="masa.customer.erase").count() == 1


def test_a_deletion_in_one_store_erases_nobody_in_another(client, two_stores):
    post_to(client, two_stores, "customer_created", customer_body("customer_created"), OTHER_DOMAIN, OTHER_API)
    deleted = {"issuedAt": later(1).isoformat(), "user": {"id": USER_1, "email": "ruth@example.com"}}
    post_to(client, two_stores, "customer_deleted", deleted)
    assert Customer.objects.filter(store=OTHER_DOMAIN).exists()
    assert InboundDelivery.objects.filter(domain=OTHER_DOMAIN).exclude(body="").exists()


# 10 ─ one delivery, whatever the letters of its domain header


def test_a_replay_with_the_domain_in_other_letters_is_a_duplicate(client, signing_store):
    body = json.dumps({**order_payload(), "__typename": "OrderCreated"}).encode()
    headers = signing_store.headers("order_created", body, STORE_DOMAIN, STORE_API_URL)
    assert post_webhook(client, body, headers).json()["status"] == "accepted"
    for domain in ("LOCALHOST:8000", "LocalHost:8000"):
        again = post_webhook(client, body, {**headers, "Saleor-Domain": domain})
        assert again.json()["status"] == "duplicate"
    assert InboundDelivery.objects.filter(status__in=["received", "accepted"]).count() == 1


# 14 ─ Masa's own writes come back and change nothing


def test_masas_own_metadata_write_coming_back_fires_nothing(client, signing_store):
    Rule.objects.create(rule_id="profile-changed", title="Profile changed", definition={
        "trigger": {"event": "customer_updated"}, "steps": [{"tag": "updated"}]})
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1))
    post_signed(client, signing_store, "customer_updated", customer_body(
        metadata={"marketing_consent": "true"}, private={"masa.tier": "gold", "masa.orders_count": "1"},
        when=later(1)))
    post_signed(client, signing_store, "customer_metadata_updated", customer_body(
        metadata={"marketing_consent": "true"}, private={"masa.tier": "gold", "masa.orders_count": "2"},
        when=later(2)))
    assert Customer.objects.get().tags == []
    assert set(StoreEvent.objects.filter(name="customer_updated").values_list("status", flat=True)) == {"ignored"}

    post_signed(client, signing_store, "customer_updated", customer_body(first="Rut", when=later(3)))
    assert Customer.objects.get().tags == ["updated"]


# 16 ─ the object was gone when Saleor built the delivery


@pytest.mark.parametrize("event, key", [("checkout_updated", "checkout"), ("order_created", "order"),
                                        ("order_fully_paid", "order"), ("customer_updated", "user"),
                                        ("customer_deleted", "user")])
def test_a_signed_delivery_whose_object_is_gone_is_kept_and_makes_no_event(client, signing_store, event, key):
    response = post_signed(client, signing_store, event, {"issuedAt": later(0).isoformat(), key: None})
    assert response.status_code == 200 and response.json() == {"status": "accepted", "events": 0}
    stored = InboundDelivery.objects.get()
    assert stored.status == "accepted" and "gone" in stored.reason
    assert not StoreEvent.objects.exists()


def test_a_body_without_its_object_at_all_is_still_the_wrong_shape(client, signing_store):
    response = post_signed(client, signing_store, "checkout_updated", {"issuedAt": later(0).isoformat()})
    assert response.status_code == 400 and response.json()["error"] == "wrong_shape"


# 2, a sibling ─ a customer writes their own public metadata in Saleor


def test_a_customer_cannot_give_themselves_a_fact_masas_rules_write(client, signing_store):
    """Saleor lets customers write their own public metadata: ``masa.tier`` there must not make
    them gold (and win the gold voucher); a store field no rule writes (a birthday) still counts."""
    Rule.objects.create(rule_id="tiers", title="Tiers", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"set": {"fact": "tier", "value": "regular"}}]})
    Rule.objects.create(rule_id="gold-reward", title="Gold reward", definition={
        "trigger": {"fact": "tier", "to": "gold"}, "steps": [{"tag": "gold-reward"}]})
    post_signed(client, signing_store, "customer_created", customer_payload(user_id=USER_1))
    post_signed(client, signing_store, "customer_updated", customer_body(
        metadata={"masa.tier": "gold", "masa.birthday": "1950-03-01"}, when=later(1)))
    customer = Customer.objects.get()
    assert customer.facts == {"birthday": "1950-03-01"} and customer.tags == []

    post_signed(client, signing_store, "order_created", order_payload(user_id=USER_1))
    post_signed(client, signing_store, "customer_updated", customer_body(metadata={}, when=later(2)))
    assert Customer.objects.get().facts == {"tier": "regular"}  # emptying the field takes nothing of Masa's
