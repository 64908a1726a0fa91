"""Saleor as a real 3.23 store behaves (../shared/saleor/captured-3.23/): category slugs, cancelled
and refunded orders, guests and marketing consent, and small things the real store showed."""
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from masa.actions.due import sweep
from masa.models import Customer, MessageTemplate, Rule, RulePack, ScheduledAction, StoreEvent

from ..helpers import ROOT, SHARED, customer_payload, order_payload, post_signed, post_webhook

pytestmark = pytest.mark.django_db

CAPTURED_323 = SHARED / "saleor" / "captured-3.23"
DOMAIN_323, API_323 = "127.0.0.1:8811", "http://127.0.0.1:8811/graphql/"


def body_of(name: str) -> dict:
    return json.loads((CAPTURED_323 / f"{name}.body.json").read_text())


@pytest.fixture
def saleor_323(settings, key_server):
    """Masa trusts the real 3.23 store of the captures (its JWKS at the edge)."""
    key_server.jwks = json.loads((CAPTURED_323 / "jwks.json").read_text())
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [*settings.MASA["SALEOR_STORES"],
                                                        {"domain": DOMAIN_323, "api_url": API_323}]}

    def replay(*names):
        for name in names:
            body = (CAPTURED_323 / f"{name}.body.json").read_bytes()
            headers = json.loads((CAPTURED_323 / f"{name}.headers.json").read_text())
            response = post_webhook(client_, body, headers)
            assert response.status_code == 200, (name, response.content)

    from django.test import Client

    client_ = Client()
    return replay


def rule(rule_id, **definition):
    return Rule.objects.create(rule_id=rule_id, title=rule_id, definition=definition)


# 1 ─ categories are Saleor's slugs, with their parents, in checkouts and orders alike


def test_an_orders_categories_are_keyed_by_saleors_own_slug(saleor_323):
    saleor_323("016_customer_created", "017_order_created")
    bought = set(StoreEvent.objects.filter(name="category_bought").values_list("data__category", flat=True))
    assert "polo-shirts-2" in bought and "polo-shirts" not in bought
    assert Customer.objects.get().category_counts["polo-shirts-2"] == 1


def as_masa_selects_it_now(checkout: dict, order: dict) -> dict:
    """A captured checkout body as Masa's current subscription selects it (slug, parent chain,
    line prices): the capture was made before those fields were selected."""
    from django.utils.text import slugify

    order_lines = {line["variant"]["id"]: line for line in order["order"]["lines"]}
    for line in checkout["checkout"]["lines"]:
        category = line["variant"]["product"]["category"]
        ordered = order_lines[line["variant"]["id"]]["variant"]["product"]["category"]
        category["slug"] = ordered["slug"]
        category["parent"] = {**ordered["parent"], "slug": slugify(ordered["parent"]["name"]), "parent": None}
        total = order_lines[line["variant"]["id"]]["totalPrice"]
        line["totalPrice"] = total
        line["unitPrice"] = {"gross": {"amount": total["gross"]["amount"] / line["quantity"],
                                       "currency": total["gross"]["currency"]}}
    return checkout


def test_a_checkout_and_its_order_name_the_same_categories_and_parents(client, signing_store):
    order = body_of("039_order_created")
    for line in order["order"]["lines"]:
        parent = line["variant"]["product"]["category"]["parent"]
        parent["slug"] = parent["name"].lower()
    checkout = as_masa_selects_it_now(body_of("038_checkout_updated"), order)
    assert post_signed(client, signing_store, "checkout_updated", checkout).status_code == 200
    assert post_signed(client, signing_store, "order_created", order).status_code == 200
    cart = StoreEvent.objects.get(name="checkout_updated").data
    placed = StoreEvent.objects.get(name="order_placed").data
    assert cart["categories"] == placed["categories"] and "polo-shirts-2" in cart["categories"]
    assert "shirts" in cart["categories"]
    assert all(line["total"] > 0 and line["unit_price"] > 0 for line in cart["lines"])


def test_an_abandoned_cart_carries_the_parent_categories(client, signing_store):
    checkout = as_masa_selects_it_now(body_of("038_checkout_updated"), body_of("039_order_created"))
    post_signed(client, signing_store, "checkout_updated", checkout)
    updated = parse_datetime(checkout["checkout"]["updatedAt"])
    sweep(now=updated + timedelta(hours=1, minutes=1))
    sweep(now=updated + timedelta(hours=1, minutes=2))
    abandoned = StoreEvent.objects.get(name="cart_abandoned").data
    assert {"polo-shirts-2", "shirts"} <= set(abandoned["categories"])
    assert sum(line["total"] for line in abandoned["lines"]) == pytest.approx(45.0)


# 2 ─ a cancelled or refunded order is taken back


@pytest.fixture
def carols_rules(db):
    for key in ("thanks", "miss-you"):
        MessageTemplate.objects.create(key=key, subject=key, body=key)
    rule("thanks", trigger={"event": "order_placed"},
         steps=[{"wait": "1d"}, {"send": {"template": "thanks", "class": "transactional"}}])
    rule("win-back", trigger={"event": "order_placed"},
         steps=[{"wait": "180d"}, {"check": {"no_order_since": True}}, {"send": {"template": "miss-you"}}])
    rule("repeat-buyer", trigger={"event": "order_placed"},
         conditions=[{"fact": "orders_count", "op": ">=", "value": 2}], steps=[{"tag": "repeat-buyer"}])
    rule("cancelled-undoes-repeat", trigger={"event": "order_cancelled"},
         conditions=[{"fact": "orders_count", "op": "<", "value": 2}], steps=[{"untag": "repeat-buyer"}])


def test_a_cancelled_order_no_longer_counts_and_what_it_changed_is_undone(saleor_323, carols_rules):
    Customer.objects.create(store="127.0.0.1:8811", store_id="VXNlcjo0Nw==", email="e2e.carol@example.com",
                            marketing_consent=True)
    saleor_323("016_customer_created", "017_order_created", "023_order_created")
    carol = Customer.objects.get()
    assert carol.orders_count == 2 and carol.tags == ["repeat-buyer"]
    first_win_back = ScheduledAction.objects.get(rule__rule_id="win-back", event__data__number="22")
    assert first_win_back.status == "cancelled" and "ordered again" in first_win_back.cancel_reason

    saleor_323("027_order_cancelled")

    carol.refresh_from_db()
    assert carol.orders_count == 1 and float(carol.total_spent) == 50.97
    assert carol.last_order_at == parse_datetime(body_of("017_order_created")["issuedAt"])
    assert "sneakers" not in carol.category_counts and carol.tags == []
    thanks_23 = ScheduledAction.objects.get(rule__rule_id="thanks", event__data__number="23")
    assert thanks_23.status == "cancelled" and thanks_23.cancel_reason == "order #23 was cancelled"
    assert ScheduledAction.objects.get(rule__rule_id="thanks", event__data__number="22").status == "pending"
    first_win_back.refresh_from_db()
    assert first_win_back.status == "pending" and first_win_back.outcome == "restored: order #23 was cancelled"


def test_a_full_refund_takes_the_order_back_and_a_partial_one_does_not(client, signing_store):
    placed = order_payload(order_id="T3JkZXI6cmVmdW5k", lines=[("Pads", "absorbent", 1, 40.0)])
    post_signed(client, signing_store, "customer_created", customer_payload())
    post_signed(client, signing_store, "order_created", placed)
    assert Customer.objects.get().orders_count == 1

    post_signed(client, signing_store, "order_refunded", {**placed, "issuedAt": timezone.now().isoformat()})
    assert Customer.objects.get().orders_count == 1
    post_signed(client, signing_store, "order_fully_refunded", {**placed, "issuedAt": timezone.now().isoformat()})
    customer = Customer.objects.get()
    assert customer.orders_count == 0 and customer.category_counts == {} and float(customer.total_spent) == 0
    refunds = StoreEvent.objects.filter(name="order_refunded").order_by("pk")
    assert [event.data["fully_refunded"] for event in refunds] == [False, True]


# 3 ─ marketing consent is never assumed


def test_a_guests_abandoned_cart_gets_no_marketing_reminder(saleor_323):
    MessageTemplate.objects.create(key="cart", subject="Your cart", body="Come back")
    rule("cart-reminder", trigger={"event": "cart_abandoned"}, steps=[{"send": {"template": "cart"}}])
    saleor_323("038_checkout_updated")
    guest = Customer.objects.get()
    assert guest.store_id is None and guest.marketing_consent is False
    updated = parse_datetime(body_of("038_checkout_updated")["checkout"]["updatedAt"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        sweep(now=updated + timedelta(hours=1, minutes=1))
    assert sweep(now=updated + timedelta(hours=1, minutes=2)) == {"cancelled": 1}
    reminder = ScheduledAction.objects.get(rule__rule_id="cart-reminder")
    assert reminder.cancel_reason == "the customer has no marketing consent for e-mail"


def test_consent_comes_from_the_store_with_when_and_where_and_an_unsubscribe_is_not_undone(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(consent=False))
    customer = Customer.objects.get()
    assert customer.marketing_consent is False and customer.marketing_consent_source == ""

    given = customer_payload(when=timezone.now())
    given["user"]["metadata"] = [{"key": "marketing_consent", "value": "yes"}]
    post_signed(client, signing_store, "customer_updated", given)
    customer.refresh_from_db()
    assert customer.marketing_consent and customer.marketing_consent_source == "Saleor customer metadata"
    assert customer.marketing_consent_at == parse_datetime(given["issuedAt"])

    Customer.objects.filter(pk=customer.pk).update(marketing_consent=False, marketing_consent_source="unsubscribe link")
    post_signed(client, signing_store, "order_created", order_payload())
    customer.refresh_from_db()
    assert customer.marketing_consent is False, "an order repeating the store's old 'yes' does not re-subscribe"


def test_the_customer_page_says_where_consent_came_from(client, signing_store):
    from django.urls import reverse

    from ..helpers import editor

    post_signed(client, signing_store, "customer_created", customer_payload())
    client.force_login(editor())
    page = client.get(reverse("masa_customer", args=[Customer.objects.get().pk])).content.decode()
    assert "E-mail:" in page and "from <bdi>the customer&#x27;s account in the store</bdi>" in page


# 4 ─ nothing to sync for a guest is a skip


def test_a_guest_order_leaves_no_failure_to_sync(saleor_323, saleor_app):
    rule("sync-tier", trigger={"event": "order_placed"}, steps=[{"set": {"fact": "tier", "value": "new"}},
                                                                 {"sync_to_saleor": ["tier"]}])
    saleor_app()
    saleor_323("039_order_created")
    assert sweep(now=timezone.now() + timedelta(minutes=1)) == {"cancelled": 1}
    action = ScheduledAction.objects.get(kind="sync_to_saleor")
    assert action.status == "cancelled" and "guest" in action.cancel_reason
    assert not ScheduledAction.objects.filter(status="failed").exists()


# 6 ─ the example site takes the app token from the environment


def test_the_example_site_reads_the_app_token_from_the_environment():
    code = "import django; django.setup(); from django.conf import settings; print(settings.MASA['SALEOR_STORES'][0]['app_token'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_site.settings", "MASA_SALEOR_APP_TOKEN": "secret-token",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example'}", "MASA_DB": "sqlite"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.stdout.strip() == "secret-token", out.stderr


# 7 ─ smaller things


def test_a_jwks_outage_answers_503_with_retry_after(client, key_server):
    from ..helpers import load_captured

    key_server.fail = True
    body, headers = load_captured("006_order_created")
    response = post_webhook(client, body, headers)
    assert response.status_code == 503 and response["Retry-After"] == "30"


def test_masas_own_opt_in_link_gives_consent_after_a_button_press(client, settings):
    from django.core import mail

    from masa import tracking
    from masa.models import Channel

    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    customer = Customer.objects.create(email="ruth@example.com")
    event = StoreEvent.objects.create(source="django", source_id="o", name="order_placed", customer=customer,
                                      occurred_at=timezone.now(), status="processed")
    Channel.objects.create(name="mail", kind="email")
    MessageTemplate.objects.create(key="ask", subject="Stay in touch?", body="Say yes: {{ opt_in_url }}")
    ScheduledAction.objects.create(idempotency_key="ask", customer=customer, event=event, step=0, kind="send",
                                   params={"template": "ask", "channel": "mail", "class": "transactional"},
                                   due_at=timezone.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        sweep()
    link = mail.outbox[0].body.split("Say yes: ")[1].strip()
    assert link.startswith("https://cms.shop.example/masa/t/i/")
    path = link.removeprefix("https://cms.shop.example")
    assert b'<form method="post">' in client.get(path).content and not Customer.objects.get().marketing_consent
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(path).status_code == 200
    customer.refresh_from_db()
    assert customer.marketing_consent and customer.marketing_consent_source == "opt-in link"
    assert tracking.read(path.split("/")[-1], "optin")["h"] == tracking.public_id("ask")


def test_two_open_checkouts_give_one_cart_reminder_the_latest_counts(client, signing_store, settings):
    """Issue 19, item 3: abandonment is per customer by default, per checkout if a pack asks
    (``cart_abandonment: {per: checkout}``), and the shop's setting decides when given."""
    base = as_masa_selects_it_now(body_of("038_checkout_updated"), body_of("039_order_created"))
    first = json.loads(json.dumps(base))
    second = json.loads(json.dumps(base))
    second["checkout"]["id"] = "Q2hlY2tvdXQ6c2Vjb25k"
    second["checkout"]["updatedAt"] = (parse_datetime(base["checkout"]["updatedAt"]) + timedelta(minutes=5)).isoformat()
    post_signed(client, signing_store, "checkout_updated", first)
    post_signed(client, signing_store, "checkout_updated", second)
    checks = ScheduledAction.objects.filter(kind="confirm_abandonment").order_by("pk")
    assert [c.status for c in checks] == ["cancelled", "pending"]
    assert "a newer cart of the customer" in checks[0].cancel_reason

    RulePack.objects.create(pack_id="carts", version="1.0.0", title="Carts", cart_abandonment="checkout")
    third = json.loads(json.dumps(base))
    third["checkout"]["id"] = "Q2hlY2tvdXQ6dGhpcmQ="
    post_signed(client, signing_store, "checkout_updated", third)
    assert ScheduledAction.objects.filter(kind="confirm_abandonment", status="pending").count() == 2  # a pack asked

    settings.MASA = {**settings.MASA, "CART_ABANDONMENT_PER": "customer"}   # the shop's word decides when given
    fourth = json.loads(json.dumps(base))
    fourth["checkout"]["id"] = "Q2hlY2tvdXQ6Zm91cnRo"
    post_signed(client, signing_store, "checkout_updated", fourth)
    assert ScheduledAction.objects.filter(kind="confirm_abandonment", status="pending").count() == 1
