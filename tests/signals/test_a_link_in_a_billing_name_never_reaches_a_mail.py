"""A guest types her billing name at a Saleor checkout; a spammer types a link there so that the
shop's thank-you mail carries it (mail clients turn "bit.ly/x7" or "www.evil.com" into links). Through
a signed webhook such a name is stored as "" and the mail greets nobody by it; a real name in
fullwidth letters is read as letters."""
import pytest

from masa.models import Customer, MessageTemplate
from masa.rendering import find_template, merge_context, render

from ..helpers import post_signed
from .test_a_guest_is_greeted_by_billing_name import guest_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("first, kept", [("Claim your prize at bit.ly/x7", ""), ("ｗｗｗ．evil．com", ""),
                                         ("hxxps：／／evil", ""), ("\ue000", ""), ("Call 1-800-555-0199", ""),
                                         ("ＤＡＮＡ", "DANA"), ("J. R. R.", "J. R. R.")])
def test_a_link_typed_as_a_billing_name_is_not_stored_or_mailed(client, signing_store, first, kept):
    MessageTemplate.objects.create(key="thanks", subject="Thank you, {{ customer.first_name }}", body="",
                                   html_body="<p>Hi {{ customer.first_name }}!</p>")
    assert post_signed(client, signing_store, "order_created", guest_order(first=first)).status_code == 200
    guest = Customer.objects.get()
    assert guest.first_name == kept
    message = render(find_template("thanks"), merge_context(guest, None))
    for part in ("bit.ly", "evil", "555"):
        assert part not in message.subject and part not in message.html_body
