"""Helpers every test may use (one module: fixtures live in conftest.py): the store Masa trusts,
signed and captured Saleor deliveries, Saleor-shaped payloads, the two admin groups' users, and
the list of every admin page."""
import itertools
import json
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from django.contrib.auth.models import Group, User
from django.test import TestCase

from masa.admin.permissions import EDITORS, VIEWERS

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "packs"
SHARED = Path(os.environ.get("MASA_SHARED_DIR", ROOT.parent / "shared"))
CAPTURED = SHARED / "saleor" / "captured"
STORE_DOMAIN = "localhost:8000"
STORE_API_URL = "http://localhost:8000/graphql/"
_numbers = itertools.count(1000)


def at_once(count: int, work) -> None:
    """Run ``work()`` in ``count`` threads released together; each closes its own DB connection."""
    from django.db import connection

    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def captured_deliveries():
    return sorted(p.name.removesuffix(".body.json") for p in CAPTURED.glob("*.body.json"))


def load_captured(name):
    body = (CAPTURED / f"{name}.body.json").read_bytes()
    headers = json.loads((CAPTURED / f"{name}.headers.json").read_text())
    return body, headers


class KeyServer:
    """The store's JWKS endpoint, mocked at the network edge (httpx transport)."""

    def __init__(self):
        self.jwks = json.loads((CAPTURED / "jwks.json").read_text())
        self.requests = []
        self.fail = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.fail:
            return httpx.Response(502, text="bad gateway")
        if request.url.path != "/.well-known/jwks.json":
            return httpx.Response(404)
        return httpx.Response(200, json=self.jwks)


def post_webhook(client, body: bytes, headers: dict):
    meta = {}
    for name, value in headers.items():
        if name.lower() in ("content-type", "content-length", "host"):
            continue
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    content_type = headers.get("Content-Type", "application/json")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/masa/webhooks/saleor/", data=body, content_type=content_type, **meta)


def post_captured(client, name):
    body, headers = load_captured(name)
    return post_webhook(client, body, headers)


def typename_for(event: str) -> str:
    """``order_fully_paid`` → ``OrderFullyPaid``: the ``__typename`` Saleor signs for an event."""
    return "".join(part.capitalize() for part in event.split("_"))


def post_signed(client, signer, event: str, payload: dict):
    """Sign and post a payload as Saleor sends ``event`` (its ``__typename`` set to match)."""
    if isinstance(payload, dict):
        payload = {"__typename": typename_for(event), **{k: v for k, v in payload.items() if k != "__typename"}}
    body = json.dumps(payload).encode()
    return post_webhook(client, body, signer.headers(event, body, STORE_DOMAIN, STORE_API_URL))


def order_payload(*, email="ruth@example.com", user_id="VXNlcjo5OQ==", lines=None, when=None, order_id=None,
                  consent=True):
    number = next(_numbers)
    when = when or datetime.now(timezone.utc)
    lines = lines or [("Absorbent pads", "absorbent", 2, 40.0)]
    return {
        "__typename": "OrderCreated",
        "issuedAt": when.isoformat(),
        "version": "3.24.0",
        "order": {
            "id": order_id or f"T3JkZXI6{number}",
            "number": str(number),
            "created": when.isoformat(),
            "status": "UNFULFILLED",
            "chargeStatus": "NONE",
            "userEmail": email,
            "user": {"id": user_id, "email": email, "privateMetadata": [],
                     "metadata": [{"key": "marketing_consent", "value": "true"}] if consent else []},
            "channel": {"slug": "default-channel"},
            "total": {"gross": {"amount": sum(l[3] for l in lines), "currency": "EUR"}},
            "lines": [
                {
                    "id": f"line-{number}-{i}",
                    "productName": name,
                    "variantName": "",
                    "productSku": f"SKU-{category}-{i}",
                    "quantity": quantity,
                    "totalPrice": {"gross": {"amount": amount, "currency": "EUR"}},
                    "variant": {
                        "id": f"variant-{category}-{i}",
                        "sku": f"SKU-{category}-{i}",
                        "product": {
                            "id": f"product-{category}-{i}",
                            "name": name,
                            "category": {"id": f"cat-{category}", "name": category.title(), "slug": category, "parent": None},
                        },
                    },
                }
                for i, (name, category, quantity, amount) in enumerate(lines)
            ],
        },
    }


def customer_payload(*, user_id="VXNlcjo5OQ==", email="ruth@example.com", first="Ruth", last="Levi", when=None,
                     consent=True):
    """A CUSTOMER_CREATED body; the customer agreed to marketing in the store unless ``consent=False``."""
    when = when or datetime.now(timezone.utc)
    return {
        "__typename": "CustomerCreated",
        "issuedAt": when.isoformat(),
        "user": {"id": user_id, "email": email, "firstName": first, "lastName": last,
                 "dateJoined": when.isoformat(), "privateMetadata": [],
                 "metadata": [{"key": "marketing_consent", "value": "true"}] if consent else []},
    }


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


def masa_admin_patterns() -> list[tuple[str, object]]:
    """Every Masa admin URL pattern, from the URL configuration: (name, pattern) for the names
    starting ``masa_`` (every ``AdminPage``'s: it insists) and the snippet view sets'
    ``wagtailsnippets_masa_*`` (their choosers too)."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern

    return [(name, pattern) for name, pattern in walk(get_resolver().url_patterns)
            if name.startswith(("masa_", "wagtailsnippets_masa_", "wagtailsnippetchoosers_masa_"))]


def _pattern_arguments(pattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def _object_of(name: str, pattern, objects: dict):
    """The object a pattern's ``pk`` names: its view's ``object_model``, its snippet view set's
    model, else the object whose model the URL name names (``masa_broadcast_cancel``)."""
    view = getattr(pattern.callback, "view_class", None)
    model = getattr(view, "object_model", None)
    if model is not None:
        return objects.get(model._meta.model_name)
    namespace = name.partition(":")[0]
    for prefix in ("wagtailsnippets_masa_", "wagtailsnippetchoosers_masa_"):
        if namespace.startswith(prefix):
            return objects.get(namespace.removeprefix(prefix))
    for word in name.removeprefix("masa_").split("_"):
        if word in objects:
            return objects[word]
    return None


def every_journeys_page(rules, channel, customer, pack_id: str | None = None, *, job=None, broadcast=None,
                        names: bool = False) -> list:
    """The URL of every Masa admin page, derived from the URL configuration (so a new page is
    checked too): each pattern's arguments filled from the given objects (the first rule for one
    rule's pages, then each rule's own), plus the dashboard. A pattern that cannot be filled fails
    the test (give this function the object it needs: an installed pack, a rule's revision, a job…). ``names``: (URL name, URL) pairs."""
    from django.urls import reverse

    from masa.models import MessageTemplate, RulePack

    rule = rules[0] if rules else None
    template = MessageTemplate.objects.order_by("pk").first()
    pack = RulePack.objects.filter(pack_id=pack_id).first() if pack_id else RulePack.objects.order_by("pk").first()
    objects = {"rule": rule, "channel": channel, "customer": customer, "messagetemplate": template, "message": template,
               "job": job, "broadcast": broadcast, "rulepack": pack, "pack": pack}
    pages = [("wagtailadmin_home", "/admin/")]
    missing = []
    for name, pattern in masa_admin_patterns():
        filled = []
        arguments = _pattern_arguments(pattern)
        about_rules = rule is not None and (
            "rule_id" in arguments or ("pk" in arguments and _object_of(name, pattern, objects) is rule))
        for each in (rules if about_rules else [rule]):
            here = {**objects, "rule": each}
            kwargs = {}
            for argument in arguments:
                if argument == "pk":
                    found = _object_of(name, pattern, here)
                    value = found.pk if found is not None else None
                elif argument == "rule_id":
                    value = here["rule"].rule_id if here["rule"] else None
                elif argument == "pack_id":
                    value = pack.pack_id if pack else None
                elif argument == "revision_id":
                    revision = here["rule"].revisions.order_by("-pk").first() if here["rule"] else None
                    value = revision.pk if revision else None
                elif argument in ("revision_id_a", "revision_id_b"):
                    has_revision = here["rule"] is not None and here["rule"].revisions.exists()
                    value = ("earliest" if argument.endswith("_a") else "latest") if has_revision else None
                else:
                    value = None
                kwargs[argument] = value
            if None not in kwargs.values():
                filled.append((name, reverse(name, kwargs=kwargs)))
            else:
                lacking = ", ".join(argument for argument, value in kwargs.items() if value is None)
        if not filled:
            missing.append(f"{name} ({lacking})")
        pages += filled
    assert not missing, f"every_journeys_page cannot fill these admin URL patterns: {', '.join(missing)}"
    return pages if names else [url for _, url in pages]


def later(minutes: float) -> datetime:
    """Now plus ``minutes``: the ``issuedAt`` of a delivery that comes after the previous ones."""
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def customer_body(event="customer_updated", *, user_id="VXNlcjox", email="ruth@example.com", first="Ruth",
                  metadata=None, private=None, when=None, country=None):
    """A customer delivery (created, updated, metadata updated) with this public and private metadata."""
    body = customer_payload(user_id=user_id, email=email, first=first, when=when, consent=False)
    body["user"]["metadata"] = [{"key": k, "value": v} for k, v in (metadata or {}).items()]
    body["user"]["privateMetadata"] = [{"key": k, "value": v} for k, v in (private or {}).items()]
    if country:
        body["user"]["defaultShippingAddress"] = {"country": {"code": country}}
    body["__typename"] = typename_for(event)
    return body


def guest_checkout(email: str, consent: str, when=None, checkout_id="Q2hlY2tvdXQ6Z3Vlc3Q=") -> dict:
    """A guest's checkout (no user) whose public metadata says ``marketing_consent``."""
    when = when or later(1)
    return {"issuedAt": when.isoformat(), "checkout": {
        "id": checkout_id, "email": email, "user": None, "updatedAt": when.isoformat(),
        "channel": {"slug": "default-channel"}, "totalPrice": {"gross": {"amount": 10, "currency": "EUR"}},
        "metadata": [{"key": "marketing_consent", "value": consent}], "lines": []}}


def in_hebrew(user: User) -> User:
    """``user`` with the admin in Hebrew (Account → Preferences)."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "he"
    profile.save()
    return user
