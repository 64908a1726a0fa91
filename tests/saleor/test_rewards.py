"""A send that carries a voucher: created once in Saleor (fake at the httpx edge), its code in the message."""
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from masa.actions import due as scheduling
from masa.models import Delivery, MessageTemplate, Rule, ScheduledAction
from masa.saleor.actions import voucher_code
from masa.rules.compiler import RuleDefinitionError, compile_rule

from ..helpers import post_signed
from ..helpers import order_payload
from ..saleor_fake import CHANNEL, VOUCHER_ANSWERS, VOUCHER_LISTED

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
DUE = NOW + timedelta(days=26)
VOUCHER = {"value": 10, "type": "percentage", "channel": "default-channel", "valid_days": 30}


@pytest.fixture
def rewarded_refill(db, email_channel):
    MessageTemplate.objects.create(key="refill-reward", subject="10% off your refill",
                                   body="Use {{ voucher.code }} for {{ voucher.value }}% off until {{ voucher.valid_until }}.")
    return Rule.objects.create(rule_id="refill-reward", title="Refill with a voucher", definition={
        "trigger": {"event": "order_placed", "category": "absorbent"},
        "steps": [{"wait": "25d"}, {"send": {"channel": "email", "template": "refill-reward", "voucher": VOUCHER}}]})


def order_and_fake(client, signing_store, saleor_app, **answers):
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    return saleor_app(**answers)


def test_the_voucher_is_created_in_saleor_and_its_code_is_in_the_message(
        client, signing_store, rewarded_refill, saleor_app, mailoutbox):
    fake = order_and_fake(client, signing_store, saleor_app, **VOUCHER_ANSWERS)
    assert scheduling.sweep(now=DUE) == {"done": 1}

    code = voucher_code(ScheduledAction.objects.get().idempotency_key)
    assert fake.operations() == ["Channel", "VoucherCreate", "VoucherChannelListingUpdate"]
    assert fake.requests[1]["variables"]["input"]["addCodes"] == [code]
    assert fake.requests[0]["authorization"] == "Bearer app-token"
    [email] = mailoutbox
    assert email.body == f"Use {code} for 10% off until {(DUE + timedelta(days=30)).date()}."
    assert Delivery.objects.get().body == email.body


def test_saleor_down_reschedules_and_the_retry_reuses_the_voucher_an_earlier_attempt_made(
        client, signing_store, rewarded_refill, saleor_app, mailoutbox):
    down = [httpx.Response(503, text="down")] * 4
    fake = order_and_fake(
        client, signing_store, saleor_app,
        Channel=[*down, CHANNEL],
        VoucherCreate=[{"voucherCreate": {"voucher": None, "errors": [
            {"field": "addCodes", "message": "Voucher code already exists.", "code": "ALREADY_EXISTS"}]}}],
        # Saleor's search also finds codes that merely contain the one asked for: the exact one is taken.
        VoucherByCode=lambda v: {"vouchers": {"edges": [{"node": {"id": "Vm91Y2hlcjo4", "code": v["code"] + "X"}},
                                                        {"node": {"id": "Vm91Y2hlcjo5", "code": v["code"]}}]}},
        VoucherChannelListingUpdate=VOUCHER_LISTED)

    assert scheduling.sweep(now=DUE) == {"retry": 1}
    action = ScheduledAction.objects.get()
    assert action.status == "pending" and "Saleor unreachable after 4 attempts" in action.last_error
    assert Delivery.objects.count() == 0 and mailoutbox == []

    assert scheduling.sweep(now=DUE + timedelta(hours=2)) == {"done": 1}
    assert fake.operations()[-3:] == ["VoucherCreate", "VoucherByCode", "VoucherChannelListingUpdate"]
    assert fake.requests[-1]["variables"]["id"] == "Vm91Y2hlcjo5"
    assert voucher_code(action.idempotency_key) in mailoutbox[0].body


def test_a_refused_voucher_fails_the_send_with_saleor_s_reason(client, signing_store, rewarded_refill, saleor_app):
    order_and_fake(client, signing_store, saleor_app, Channel={"channel": None})
    assert scheduling.sweep(now=DUE) == {"failed": 1}
    assert ScheduledAction.objects.get().last_error == "channel: no channel with slug 'default-channel'"
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("voucher, message", [
    ({"value": 0, "channel": "c"}, "steps[0].send.voucher.value: must be a number above 0"),
    ({"value": 150, "channel": "c"}, "steps[0].send.voucher.value: a percentage cannot be above 100"),
    ({"value": 5, "channel": "c", "type": "bogus"}, "steps[0].send.voucher.type: one of fixed, percentage"),
    ({"value": 5}, "steps[0].send.voucher.channel: must name the Saleor channel (slug)"),
    ({"value": 5, "channel": "c", "colour": "red"}, "steps[0].send.voucher.colour: unknown option"),
])
def test_a_bad_voucher_option_is_named_precisely(voucher, message):
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule("r", {"trigger": {"event": "order_placed"},
                           "steps": [{"send": {"template": "t", "voucher": voucher}}]})
    assert message in str(error.value)
