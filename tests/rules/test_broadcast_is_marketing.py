"""Issue 28, item 7: a broadcast is marketing, always. A broadcast rule whose send said
``class: transactional`` mailed customers without consent, past caps, quiet hours and holdouts.
It is refused when a pack is validated and in the admin rule form; and a broadcast rule stored
before that (or started by hand) is sent as marketing whatever its step says."""
import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from masa.actions.due import sweep
from masa.models import Channel, Customer, Delivery, MessageTemplate, Rule, ScheduledAction, StoreEvent
from masa.packs import PackError, load_pack
from masa.rules.broadcast import fan_out_due, start_broadcast

from ..helpers import editor

pytestmark = pytest.mark.django_db

TRANSACTIONAL = {"trigger": {"event": "broadcast"}, "steps": [{"send": {"template": "sale", "class": "transactional"}}]}


def pack_with(rule: str) -> str:
    return ("masa_pack: 1\nid: p\nversion: 1.0.0\ntitle: P\n"
            "templates:\n  sale: {subject: Sale, body: \"Hi {{ customer.first_name }}\"}\n"
            f"rules:\n{rule}")


def test_a_broadcast_that_calls_its_send_transactional_is_refused_when_the_pack_is_validated():
    with pytest.raises(PackError) as refused:
        load_pack(pack_with("  - {id: sale, trigger: {event: broadcast}, "
                            "steps: [{send: {template: sale, class: transactional}}]}\n"))
    assert "steps[0].send.class" in str(refused.value) and "a broadcast is marketing" in str(refused.value)
    with pytest.raises(PackError, match=r"steps\[1\]\.wait\.on_timeout\[0\]\.send\.class"):  # in a branch too
        load_pack(pack_with("  - {id: sale, trigger: {event: broadcast}, steps: [{send: {template: sale}}, "
                            "{wait: {for: message_opened, within: 2d, on_event: [{send: {template: sale}}], "
                            "on_timeout: [{send: {template: sale, class: transactional}}]}}]}\n"))
    load_pack(pack_with("  - {id: sale, trigger: {event: broadcast}, steps: [{send: {template: sale}}]}\n"))
    load_pack(pack_with("  - {id: receipt, trigger: {event: order_placed}, "
                        "steps: [{send: {template: sale, class: transactional}}]}\n"))  # a service message is fine


def rule_form(rule, **changes):
    return {"title": rule.title, "rule_id": rule.rule_id, "pack": rule.pack or "local", "holdout_percent": 0,
            "d__trigger__event": rule.definition["trigger"]["event"], "d__steps__0__send__template": "sale",
            "d__steps__0__send__channel": "email",
            "d__steps__0__send__class": rule.definition["steps"][0]["send"].get("class", "marketing"), **changes}


def test_the_admin_rule_form_refuses_a_transactional_broadcast_however_it_is_entered(client):
    MessageTemplate.objects.create(key="sale", subject="Sale", body="Hi")
    broadcast = Rule.objects.create(rule_id="sale", title="Sale", definition={
        "trigger": {"event": "broadcast"}, "steps": [{"send": {"template": "sale"}}]})
    receipt = Rule.objects.create(rule_id="receipt", title="Receipt", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "sale", "class": "transactional"}}]})
    client.force_login(editor())
    attempts = [
        (broadcast, rule_form(broadcast, d__steps__0__send__class="transactional")),   # the class field
        (receipt, rule_form(receipt, d__trigger__event="broadcast")),                 # the trigger field
        (broadcast, {**rule_form(broadcast), "raw_definition":                        # the YAML
                     "trigger: {event: broadcast}\nsteps:\n  - send: {template: sale, class: transactional}\n"}),
    ]
    for rule, data in attempts:
        page = client.post(reverse("wagtailsnippets_masa_rule:edit", args=[rule.pk]), {**data, "action-publish": "1"})
        assert page.status_code == 200 and "a broadcast is marketing" in page.content.decode()
        assert Rule.objects.get(pk=rule.pk).definition == rule.definition and rule.latest_revision is None
    page = client.post(reverse("wagtailsnippets_masa_rule:add"), {
        "title": "New", "rule_id": "new-sale", "pack": "local",
        "raw_definition": "trigger: {event: broadcast}\nsteps:\n  - send: {template: sale, class: transactional}\n"})
    assert "a broadcast is marketing" in page.content.decode() and not Rule.objects.filter(rule_id="new-sale").exists()


@pytest.fixture
def stored_transactional_broadcast(settings):
    """A broadcast rule saved before the class was refused on broadcasts."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    Channel.objects.create(name="email", kind="email")
    MessageTemplate.objects.create(key="sale", subject="Sale", body="Hi {{ customer.first_name }}")
    rule = Rule.objects.create(rule_id="sale", title="Sale", definition=TRANSACTIONAL)
    yes = Customer.objects.create(email="yes@example.com", first_name="Yes", marketing_consent=True)
    later_no = Customer.objects.create(email="later-no@example.com", first_name="Later", marketing_consent=True)
    Customer.objects.create(email="no@example.com", first_name="No", marketing_consent=False)
    return rule, yes, later_no


def run_worker():
    from masa.worker import run_once

    with TestCase.captureOnCommitCallbacks(execute=True):
        while fan_out_due(batch=10):
            pass
    run_once()


def test_a_stored_transactional_broadcast_reaches_no_one_without_consent(stored_transactional_broadcast, mailoutbox):
    rule, _, _ = stored_transactional_broadcast
    broadcast = start_broadcast(rule, None, by="dana")
    run_worker()
    broadcast.refresh_from_db()
    assert broadcast.customers_skipped == 1, "the customer without consent is not reached"
    assert "no@example.com" not in [to for m in mailoutbox for to in m.to]


def scheduled_before_the_fix(rule, customer, event_name="broadcast"):
    event = StoreEvent.objects.create(source="admin", source_id=f"{event_name}:{customer.pk}", name=event_name,
                                      customer=customer, occurred_at=timezone.now(), status="processed",
                                      data={"rule": rule.rule_id})
    return ScheduledAction.objects.create(idempotency_key=f"sale:{customer.pk}", rule=rule, customer=customer,
                                          event=event, step=0, due_at=timezone.now(),
                                          params={"template": "sale", "channel": "email", "class": "transactional"})


def test_a_broadcast_send_scheduled_as_transactional_goes_as_marketing_when_due(stored_transactional_broadcast,
                                                                                mailoutbox):
    rule, yes, withdrew = stored_transactional_broadcast
    Customer.objects.filter(pk=withdrew.pk).update(marketing_consent=False)
    by_hand = Customer.objects.get(email="no@example.com")
    scheduled_before_the_fix(rule, yes)
    scheduled_before_the_fix(rule, withdrew)
    scheduled_before_the_fix(rule, by_hand, event_name="manual_trigger")   # the broadcast rule started by hand
    assert sweep() == {"done": 1, "cancelled": 2}
    assert [m.to for m in mailoutbox] == [["yes@example.com"]]
    assert "List-Unsubscribe" in mailoutbox[0].extra_headers, "sent as marketing, with one-click unsubscribe"
    assert set(ScheduledAction.objects.exclude(customer=yes).values_list("cancel_reason", flat=True)) == {
        "the customer has no marketing consent for e-mail"}
    assert set(ScheduledAction.objects.values_list("params__class", flat=True)) == {"marketing"}
    assert Delivery.objects.get().action.params["class"] == "marketing"   # caps count it from now on
