"""The two groups, the home-page panel, the failures page with its retries, and every Masa admin
page rendering for an editor."""
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from masa.admin.permissions import EDITORS, VIEWERS
from masa.models import (Broadcast, Channel, Customer, InboundDelivery, Job, MessageTemplate, RuleFiring,
                         ScheduledAction, StoreEvent)

from ..helpers import denied, editor, every_journeys_page, place_order, viewer

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_the_groups_exist_after_migrate_with_their_permissions():
    viewers, editors = codenames(VIEWERS), codenames(EDITORS)
    assert {"access_admin", "view_rule", "view_channel", "view_customer"} <= viewers
    assert not {p for p in viewers if p.startswith(("change_", "add_", "delete_", "publish_", "trigger_"))}
    assert {"change_rule", "publish_rule", "change_channel", "add_rulepack", "trigger_rule_customer"} <= editors


def test_a_user_outside_the_groups_sees_no_journeys(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", "n@shop.example", "x")
    user.user_permissions.add(*Group.objects.get(name=VIEWERS).permissions.filter(codename="access_admin"))
    client.force_login(user)
    home = client.get("/admin/").content.decode()
    assert "masa-dashboard" not in home and "Journeys" not in home
    assert denied(client.get(reverse("masa_customers")))
    assert denied(client.get(reverse("masa_results")))


def test_home_panel_counts_today_and_what_needs_attention(client, signing_store, refill_rule):
    place_order(client, signing_store)
    StoreEvent.objects.filter(name="product_bought").update(status="failed", error="boom")
    InboundDelivery.objects.create(status="rejected", reason="bad_signature: no", event_type="ORDER_CREATED",
                                   repeats=3, last_seen_at=timezone.now())
    Channel.objects.create(name="SMS", kind="sms", circuit_open_until=timezone.now() + timezone.timedelta(minutes=5))
    client.force_login(viewer())
    home = client.get("/admin/").content.decode()
    panel = home[home.index("masa-dashboard"):]
    assert "<span>4</span> store events today" in panel
    assert "<span>2</span> need attention" in panel, "refused requests are internet noise, not counted"
    assert "1 event failed evaluation · 1 channel paused after failures</p>" in panel
    page = client.get(reverse("masa_failures")).content.decode()
    assert "Needs attention (2)" in page, "the page and the panel count the same"


def test_refused_requests_are_grouped_by_reason_with_what_to_do_and_can_be_dismissed(client):
    now = timezone.now()
    for domain, address in (("shop.example", "10.0.0.1"), ("evil.example", "10.0.0.2")):
        InboundDelivery.objects.create(status="rejected", reason=f"unknown_domain: Saleor-Domain {domain!r} is not",
                                       domain=domain, remote_addr=address, repeats=2, last_seen_at=now)
    InboundDelivery.objects.create(status="rejected", reason="too_old: issued at 2026-01-01", last_seen_at=now)
    InboundDelivery.objects.create(status="rejected", reason="bad_signature: old", last_seen_at=now - timezone.timedelta(days=2))
    client.force_login(viewer())
    page = client.get(reverse("masa_failures")).content.decode()
    section = page[page.index("Requests refused"):]
    assert "Requests refused in the last 24 hours (5)" in section
    assert section.index("From a store Masa does not know.") < section.index("Sent too long ago")
    assert "install Masa in it (Saleor stores)" in section and "Check the server clocks" in section
    assert "evil.example, shop.example" in section or "shop.example, evil.example" in section
    assert "signature does not match" not in section, "older than 24 hours: not counted"
    assert "Dismiss" not in section, "a viewer changes nothing"
    assert denied(client.post(reverse("masa_failures"), {"do": "dismiss_rejections", "code": "unknown_domain"}))
    client.force_login(editor())
    client.post(reverse("masa_failures"), {"do": "dismiss_rejections", "code": "unknown_domain"})
    page = client.get(reverse("masa_failures")).content.decode()
    assert "Needs attention (0)" in page and "From a store Masa does not know." not in page


def test_failures_page_lists_and_an_editor_retries_failed_events(client, signing_store, refill_rule,
                                                                 django_capture_on_commit_callbacks):
    place_order(client, signing_store)
    StoreEvent.objects.filter(name="order_placed").update(status="failed", error="engine crashed")
    RuleFiring.objects.all().delete()
    ScheduledAction.objects.all().delete()
    client.force_login(viewer())
    page = client.get(reverse("masa_failures")).content.decode()
    assert "engine crashed" in page and "Evaluate them again" not in page
    assert denied(client.post(reverse("masa_failures"), {"do": "retry_events"}))
    client.force_login(editor())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("masa_failures"), {"do": "retry_events"})
    assert StoreEvent.objects.get(name="order_placed").status == "processed"
    assert ScheduledAction.objects.filter(rule=refill_rule).count() == 1


def test_failed_actions_are_tried_again(client, refill_rule, signing_store):
    place_order(client, signing_store)
    ScheduledAction.objects.update(status="failed", last_error="no channel")
    client.force_login(editor())
    client.post(reverse("masa_failures"), {"do": "retry_actions"})
    action = ScheduledAction.objects.get()
    assert (action.status, action.attempts) == ("pending", 0)


def test_every_journeys_page_renders_for_an_editor(client, signing_store, refill_rule, email_channel):
    from masa.packs.installer import import_pack
    from masa.packs.loader import load_pack_file

    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    place_order(client, signing_store)
    client.force_login(editor())
    customer = Customer.objects.get()
    rules = [refill_rule, *refill_rule.__class__.objects.filter(pack="senior-care")]
    refill_rule.save_revision()
    job = Job.objects.create(kind="simulate", title="Simulate", created_by="edna", rule=refill_rule)
    broadcast = Broadcast.objects.create(rule=refill_rule, send_at=job.created_at, created_by="edna")
    pages = every_journeys_page(rules, email_channel, customer, pack_id="senior-care", job=job, broadcast=broadcast)
    # Action-only URLs (a POST, a download, a redirect to the customer Saleor names) are not pages.
    not_pages = {reverse("masa_broadcast_cancel", args=[broadcast.pk]), reverse("masa_customer_from_saleor"),
                 reverse("wagtailsnippets_masa_messagetemplate:delete", args=[MessageTemplate.objects.order_by("pk").first().pk])}
    for url in pages:
        response = client.get(url)
        if url in not_pages:
            assert response.status_code in (200, 302, 403), url
            continue
        assert response.status_code == 200, url
        content = response.content.decode()
        if "<html" in content:
            assert "Journeys" in content, url
