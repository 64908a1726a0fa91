"""Users of the two Masa groups, and a store with an order for admin tests."""
from datetime import datetime, timezone

from django.contrib.auth.models import Group, User

from masa.admin.permissions import EDITORS, VIEWERS

from .conftest import post_signed
from .payloads import customer_payload, order_payload

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"


def member_of(group_name: str, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@shop.example", PASSWORD)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def editor() -> User:
    return member_of(EDITORS, "edna")


def viewer() -> User:
    return member_of(VIEWERS, "victor")


def place_order(client, signer, when=NOW, **kwargs):
    """Ruth signs up and orders absorbent products, through the signed Saleor webhook."""
    post_signed(client, signer, "customer_created", customer_payload(when=when))
    payload = order_payload(when=when, **kwargs)
    assert post_signed(client, signer, "order_created", payload).status_code == 200
    return payload


def denied(response) -> bool:
    """Wagtail answers a refused admin request with a redirect to the dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response.url in ("/admin/", "/admin/login/"))


def every_journeys_page(rules, channel, customer, pack_id: str | None = None) -> list[str]:
    """The URLs of every Masa admin page (one of each kind, plus each given rule's own pages)."""
    from django.urls import reverse

    urls = [
        "/admin/", reverse("wagtailsnippets_masa_rule:list"), reverse("wagtailsnippets_masa_rule:add"),
        reverse("wagtailsnippets_masa_messagetemplate:list"), reverse("wagtailsnippets_masa_channel:list"),
        reverse("wagtailsnippets_masa_channel:add"), reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk]),
        reverse("masa_channel_test", args=[channel.pk]), reverse("masa_packs"), reverse("masa_pack_import"),
        reverse("masa_customers"), reverse("masa_customer", args=[customer.pk]), reverse("masa_results"),
        reverse("masa_failures"),
    ]
    if pack_id:
        urls += [reverse("masa_pack_upgrade", args=[pack_id]), reverse("masa_pack_parameters", args=[pack_id])]
    for rule in rules:
        urls += [reverse("wagtailsnippets_masa_rule:edit", args=[rule.pk]),
                 reverse("wagtailsnippets_masa_rule:history", args=[rule.pk]),
                 reverse("masa_rule_switch", args=[rule.pk]), reverse("masa_rule_simulate", args=[rule.pk])]
    return urls
