"""Issue 31, item 7: a guest (and an account without a name) is greeted by the order's billing
name. The guest types it, so it is cleaned: no control or direction characters, no links, capped."""
import copy
import json

import pytest

from masa.models import Customer, MessageTemplate
from masa.rendering import find_template, merge_context, render
from masa.signals.normalize import normalize
from masa.values import NAME_LIMIT

from ..helpers import SHARED, customer_payload, order_payload, post_signed

pytestmark = pytest.mark.django_db

GUEST_ORDER = SHARED / "saleor" / "captured-3.23" / "039_order_created.body.json"


def guest_order(first="Dana", last="Cohen") -> dict:
    """The captured guest checkout's order as Masa's subscription now selects it: the billing
    address with its ``firstName`` / ``lastName`` (Saleor's ``Address`` fields)."""
    body = copy.deepcopy(json.loads(GUEST_ORDER.read_text()))
    assert body["order"]["user"] is None, "the capture is a guest's order"
    body["order"]["billingAddress"] = {**body["order"]["billingAddress"], "firstName": first, "lastName": last}
    return body


def test_a_guest_order_carries_the_billing_name():
    placed = normalize("order_created", guest_order())[0]
    assert placed.data["guest"] is True
    assert (placed.data["first_name"], placed.data["last_name"]) == ("Dana", "Cohen")


def test_a_guest_is_greeted_by_the_billing_name(client, signing_store):
    MessageTemplate.objects.create(key="thanks", subject="Thank you, {{ customer.first_name }}", body="")
    assert post_signed(client, signing_store, "order_created", guest_order()).status_code == 200
    guest = Customer.objects.get()
    assert guest.store_id is None and (guest.first_name, guest.last_name) == ("Dana", "Cohen")
    assert render(find_template("thanks"), merge_context(guest, None)).subject == "Thank you, Dana"


def test_a_named_account_keeps_its_name_and_a_nameless_one_takes_the_billing_name(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(first="Ruth", last="Levi"))
    order = order_payload()
    order["order"]["billingAddress"] = {"firstName": "Someone", "lastName": "Else", "phone": ""}
    post_signed(client, signing_store, "order_created", order)
    assert Customer.objects.get().first_name == "Ruth"

    post_signed(client, signing_store, "customer_created",
                customer_payload(user_id="VXNlcjo3Nw==", email="noname@example.com", first="", last=""))
    order = order_payload(user_id="VXNlcjo3Nw==", email="noname@example.com")
    order["order"]["billingAddress"] = {"firstName": "Noa", "lastName": "Bar", "phone": ""}
    post_signed(client, signing_store, "order_created", order)
    assert Customer.objects.get(email="noname@example.com").first_name == "Noa"


def test_a_guest_typing_an_accounts_email_does_not_rename_the_account(client, signing_store):
    post_signed(client, signing_store, "customer_created", customer_payload(first="", last=""))
    order = guest_order("Mallory", "X")
    order["order"]["userEmail"] = "ruth@example.com"
    post_signed(client, signing_store, "order_created", order)
    assert Customer.objects.get().first_name == ""


@pytest.mark.parametrize("typed, kept", [
    ("  Dana\u202e\u200f  ", "Dana"),                            # direction overrides, padding
    ("Da\nna\r\nLevi", "Da na Levi"),                              # no new lines (a subject is one line)
    ("Da\nna\r\nSubject: x", ""),                                  # a colon ("mailto:", "javascript:") is no name's
    ("Win at https://evil.example", ""),                         # a link is not a name
    ("www.evil.example", ""),
    ("me@evil.example", ""),
    ("{{ unsubscribe_url }}", ""),
    ("<script>alert(1)</script>", ""),
    ("א" * 500, "א" * NAME_LIMIT),                               # capped
    (12, ""),                                                    # not text
])
def test_a_hostile_billing_name_is_cleaned_or_dropped(typed, kept):
    placed = normalize("order_created", guest_order(first=typed))[0]
    assert placed.data["first_name"] == kept
