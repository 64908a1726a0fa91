"""Signed pack subscriptions, against a hostile agency server: only a release signed with the
pinned key, fetched over https:// from a public address, at most 1 MB, verified before it is
read, of the subscribed pack and newer than the installed one, is offered; every other answer
is refused (or said unreachable), stored on the subscription, and applies nothing. The network
is mocked at its edge (``subscriptions._transport``) only."""
from __future__ import annotations

import socket
import time
from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from masa.models import PackSubscription, Rule, RulePack
from masa.packs import signing, subscriptions
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack

pytestmark = pytest.mark.django_db

URL = "https://agency.example/coffee/pack.yaml"
PACK = """masa_pack: 1
id: {pack_id}
version: {version}
title: {title}
author: Agency
description: Beans refill reminders.
templates:
  {pack_id}-refill:
    subject: Time for more beans?
    body: Hello {{{{ customer.first_name }}}}, your beans may be running out.{extra}
rules:
  - id: {pack_id}-beans
    title: Beans refill
    trigger: {{event: order_placed}}
    steps:
      - wait: {wait}
      - send: {{channel: email, template: {pack_id}-refill}}
"""


def release(version="1.2.0", pack_id="coffee-refill", wait="20d", extra="", title="Coffee refills") -> bytes:
    return PACK.format(version=version, pack_id=pack_id, wait=wait, extra=extra, title=title).encode()


class Agency:
    """The agency's server as a test sets it up: path → what it answers; requests are recorded."""

    def __init__(self):
        self.key = signing.Ed25519PrivateKey.generate()
        self.public = signing.public_text(self.key.public_key())
        self.routes: dict[str, object] = {}
        self.requests: list[str] = []

    def publish(self, data: bytes, *, key=None, url=URL):
        self.routes[url] = data
        self.routes[f"{url}.sig"] = signing.sign(data, key or self.key).encode()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        answer = self.routes.get(str(request.url))
        if answer is None:
            return httpx.Response(404)
        if callable(answer):
            return answer(request)
        return httpx.Response(200, content=answer)


@pytest.fixture
def agency(monkeypatch):
    server = Agency()
    monkeypatch.setattr(subscriptions, "_transport", httpx.MockTransport(server.handler))
    return server


def subscribe(agency, url=URL, **fields) -> PackSubscription:
    subscription = PackSubscription.objects.create(url=url, public_key=agency.public, **fields)
    subscriptions.check(subscription)
    subscription.refresh_from_db()
    return subscription


def installed(version="1.2.0", **kwargs):
    import_pack(load_pack(release(version, **kwargs).decode()))


def assert_refused(subscription, problem, status="refused"):
    assert (subscription.status, subscription.problem) == (status, problem), subscription.last_error
    assert subscription.last_error and subscription.last_checked_at


# --- The signature -------------------------------------------------------------------------------

def test_a_release_signed_with_the_pinned_key_is_offered_and_nothing_is_applied(agency):
    installed("1.2.0")
    agency.publish(release("1.3.0", wait="25d"))
    subscription = subscribe(agency)
    assert (subscription.status, subscription.available_version, subscription.pack_id) == ("available", "1.3.0",
                                                                                           "coffee-refill")
    assert subscription.available_source == release("1.3.0", wait="25d").decode()
    assert RulePack.objects.get().version == "1.2.0"
    assert Rule.objects.get().definition["steps"][0] == {"wait": "20d"}


def test_the_installed_release_again_is_up_to_date(agency):
    installed("1.2.0")
    agency.publish(release("1.2.0"))
    assert subscribe(agency).status == "up_to_date"


def test_a_release_altered_after_signing_is_refused_before_it_is_read(agency, monkeypatch):
    agency.publish(release("1.3.0"))
    agency.routes[URL] = release("1.3.0", wait="1m")       # changed on the way; the signature is the old one
    read = []
    monkeypatch.setattr(subscriptions, "load_pack", lambda *args: read.append(args))
    subscription = subscribe(agency)
    assert_refused(subscription, "bad_signature")
    assert read == [] and subscription.available_source == ""


def test_a_release_signed_by_another_key_is_refused_the_key_is_pinned(agency):
    installed("1.2.0")
    agency.publish(release("1.3.0"))
    subscription = subscribe(agency)
    assert subscription.available_version == "1.3.0"
    agency.publish(release("1.4.0"), key=signing.Ed25519PrivateKey.generate())   # the key "changed"
    subscriptions.check(subscription)
    subscription.refresh_from_db()
    assert_refused(subscription, "bad_signature")
    assert subscription.public_key == agency.public
    assert subscription.available_version == "1.3.0"      # the release verified before still waits


def test_a_missing_or_garbled_signature_is_refused(agency):
    agency.publish(release("1.3.0"))
    del agency.routes[f"{URL}.sig"]
    assert_refused(subscribe(agency), "no_signature")
    PackSubscription.objects.all().delete()
    agency.routes[f"{URL}.sig"] = b"not a signature at all"
    assert_refused(subscribe(agency), "bad_signature")


def test_garbage_validly_signed_is_refused_as_not_a_pack(agency):
    agency.publish(b"\xff\xfe binary garbage \x00")
    assert_refused(subscribe(agency), "not_a_pack")
    PackSubscription.objects.all().delete()
    agency.publish(b"id: [unclosed\n  - : :")
    subscription = subscribe(agency)
    assert_refused(subscription, "not_a_pack")
    assert "not valid YAML" in subscription.last_error


def test_a_yaml_bomb_validly_signed_is_refused_without_expanding(agency):
    bomb = (b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
            b'c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n')
    agency.publish(bomb)
    subscription = subscribe(agency)
    assert_refused(subscription, "not_a_pack")
    assert "aliases" in subscription.last_error


def test_the_signature_may_name_its_own_address(agency):
    agency.routes[URL] = release("1.3.0")
    agency.routes["https://agency.example/signatures/coffee.sig"] = signing.sign(release("1.3.0"), agency.key).encode()
    subscription = subscribe(agency, signature_url="https://agency.example/signatures/coffee.sig")
    assert subscription.status == "available"


# --- What the release holds ----------------------------------------------------------------------

def test_an_older_version_than_the_installed_one_is_refused(agency):
    installed("1.2.0")
    agency.publish(release("1.1.9"))
    subscription = subscribe(agency)
    assert_refused(subscription, "downgrade")
    assert subscription.pack_id == "coffee-refill"          # the signed release named it, refused or not
    assert RulePack.objects.get().version == "1.2.0"


def test_the_installed_version_number_with_other_content_is_refused(agency):
    installed("1.2.0")
    agency.publish(release("1.2.0", wait="1m"))
    assert_refused(subscribe(agency), "changed_release")


def test_another_pack_at_the_subscribed_address_is_refused(agency):
    agency.publish(release("1.3.0"))
    subscription = subscribe(agency)
    assert subscription.pack_id == "coffee-refill"
    agency.publish(release("9.0.0", pack_id="someone-else"))
    subscriptions.check(subscription)
    subscription.refresh_from_db()
    assert_refused(subscription, "other_pack")
    assert subscription.pack_id == "coffee-refill"


def test_versions_compare_as_numbers_not_text(agency):
    installed("1.9.0")
    agency.publish(release("1.10.0"))
    assert subscribe(agency).status == "available"


# --- The server ----------------------------------------------------------------------------------

def test_a_50_mb_body_is_refused_after_reading_a_little_over_1_mb(agency):
    sent = []

    def chunks():
        for _ in range(50 * 16):
            sent.append(65536)
            yield b"x" * 65536

    agency.routes[URL] = lambda request: httpx.Response(200, content=chunks())
    subscription = subscribe(agency)
    assert_refused(subscription, "too_large")
    assert sum(sent) < 2_000_000


def test_a_declared_50_mb_body_is_refused_before_reading(agency):
    agency.routes[URL] = lambda request: httpx.Response(200, headers={"Content-Length": str(50_000_000)}, content=b"")
    assert_refused(subscribe(agency), "too_large")


def test_a_redirect_to_a_private_address_is_refused_and_not_followed(agency):
    agency.routes[URL] = lambda request: httpx.Response(302, headers={"Location": "https://10.0.0.5/pack.yaml"})
    assert_refused(subscribe(agency), "unsafe_address")
    assert agency.requests == [URL]


def test_a_redirect_to_plain_http_is_refused(agency):
    agency.routes[URL] = lambda request: httpx.Response(301, headers={"Location": "http://agency.example/pack.yaml"})
    assert_refused(subscribe(agency), "not_https")
    assert agency.requests == [URL]


def test_a_redirect_to_a_public_https_address_is_followed_and_checked_the_same(agency):
    mirror = "https://cdn.agency.example/coffee/pack.yaml"
    agency.publish(release("1.3.0"), url=mirror)
    agency.routes[URL] = lambda request: httpx.Response(302, headers={"Location": mirror})
    agency.routes[f"{URL}.sig"] = agency.routes[f"{mirror}.sig"]
    assert subscribe(agency).status == "available"


def test_endless_redirects_are_given_up(agency):
    agency.routes[URL] = lambda request: httpx.Response(302, headers={"Location": URL})
    assert_refused(subscribe(agency), "unreachable", status="unreachable")
    assert len(agency.requests) == subscriptions.MAX_REDIRECTS + 1


def test_a_server_that_trickles_is_given_up_at_the_deadline(agency, monkeypatch):
    monkeypatch.setattr(subscriptions, "DEADLINE_SECONDS", 0.3)

    def trickle():
        for _ in range(100):
            time.sleep(0.05)
            yield b"x"

    agency.routes[URL] = lambda request: httpx.Response(200, content=trickle())
    started = time.monotonic()
    assert_refused(subscribe(agency), "too_slow", status="unreachable")
    assert time.monotonic() - started < 2


def test_a_timeout_or_a_server_error_is_unreachable_not_refused(agency):
    def timeout(request):
        raise httpx.ReadTimeout("no answer", request=request)

    agency.routes[URL] = timeout
    assert_refused(subscribe(agency), "too_slow", status="unreachable")
    PackSubscription.objects.all().delete()
    agency.routes[URL] = lambda request: httpx.Response(503)
    subscription = subscribe(agency)
    assert_refused(subscription, "unreachable", status="unreachable")
    assert "503" in subscription.last_error


@pytest.mark.parametrize("url, problem", [
    ("http://agency.example/pack.yaml", "not_https"),
    ("https://127.0.0.1/pack.yaml", "unsafe_address"),
    ("https://localhost/pack.yaml", "unsafe_address"),
    ("https://[::1]/pack.yaml", "unsafe_address"),
    ("https://169.254.169.254/latest/meta-data", "unsafe_address"),
    ("https://user:secret@agency.example/pack.yaml", "unsafe_address"),
    ("file:///etc/passwd", "not_https"),
])
def test_an_address_that_is_not_public_https_is_never_asked(agency, url, problem):
    assert_refused(subscribe(agency, url=url), problem)
    assert agency.requests == []


def test_the_real_network_path_goes_through_the_address_guard(monkeypatch):
    """Without the mock: a name that resolves to this machine is refused at connect time."""
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs: real("127.0.0.1", *args, **kwargs)
                        if host == "agency.example" else real(host, *args, **kwargs))
    subscription = PackSubscription.objects.create(url=URL, public_key=signing.generate()[1])
    subscriptions.check(subscription)
    subscription.refresh_from_db()
    assert_refused(subscription, "unsafe_address")
    assert "127.0.0.1" in subscription.last_error


# --- Once a day ----------------------------------------------------------------------------------

def test_each_subscription_is_checked_once_a_day(agency):
    agency.publish(release("1.3.0"))
    subscription = PackSubscription.objects.create(url=URL, public_key=agency.public)
    now = timezone.now()
    assert subscriptions.check_due(now) == 1
    assert subscriptions.check_due(now + timedelta(hours=23)) == 0
    assert subscriptions.check_due(now + timedelta(hours=24, minutes=1)) == 1
    subscription.refresh_from_db()
    assert subscription.status == "available" and len(agency.requests) == 4


def test_the_celery_task_and_the_sweeper_check_what_is_due(agency, monkeypatch):
    from masa.tasks import check_pack_subscriptions

    agency.publish(release("1.3.0"))
    PackSubscription.objects.create(url=URL, public_key=agency.public)
    assert check_pack_subscriptions() == 1
    PackSubscription.objects.update(last_checked_at=timezone.now() - timedelta(days=2))
    monkeypatch.setattr(subscriptions, "_next_look", 0.0)
    call_command("masa_sweep")
    assert PackSubscription.objects.get().last_checked_at > timezone.now() - timedelta(minutes=1)


def test_the_embedded_worker_looks_now_and_then_and_a_failing_check_does_not_stop_it(agency, monkeypatch):
    from masa import worker

    PackSubscription.objects.create(url=URL, public_key=agency.public)
    monkeypatch.setattr(subscriptions, "_next_look", 0.0)
    monkeypatch.setattr(subscriptions, "fetch_release", lambda *args: 1 / 0)
    assert worker.run_once().subscriptions == 1
    assert PackSubscription.objects.get().status == "unreachable"
    PackSubscription.objects.update(last_checked_at=None)
    assert worker.run_once().subscriptions == 0        # looked a moment ago: not before LOOK_EVERY_SECONDS


def test_applying_the_offered_version_marks_the_subscription_up_to_date(agency):
    installed("1.2.0")
    agency.publish(release("1.3.0"))
    subscription = subscribe(agency)
    RulePack.objects.update(version="1.3.0")
    assert subscriptions.caught_up(subscription)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.available_version, subscription.available_source) == \
        ("up_to_date", "", "")


# --- The agency's commands -----------------------------------------------------------------------

def test_keygen_sign_and_verify_round_trip_and_a_changed_byte_fails(tmp_path, capsys):
    key = tmp_path / "agency.pem"
    call_command("masa_pack", "keygen", "-o", str(key))
    public = capsys.readouterr().out.splitlines()[2]
    assert len(signing.load_public_key(public).public_bytes_raw()) == 32
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    pack = tmp_path / "pack.yaml"
    pack.write_bytes(release("1.3.0"))
    call_command("masa_pack", "sign", str(pack), "--key", str(key))
    signature = (tmp_path / "pack.yaml.sig").read_text()
    assert signature.count("\n") == 1 and len(signature.strip()) == 88
    call_command("masa_pack", "verify", str(pack), "--public-key", public)
    pack.write_bytes(release("1.3.0") + b"\n")
    with pytest.raises(CommandError, match="does not match"):
        call_command("masa_pack", "verify", str(pack), "--public-key", public)
    with pytest.raises(CommandError, match="exists"):
        call_command("masa_pack", "keygen", "-o", str(key))


def test_an_invalid_pack_is_not_signed(tmp_path):
    key = tmp_path / "agency.pem"
    key.write_bytes(signing.generate()[0])
    pack = tmp_path / "pack.yaml"
    pack.write_bytes(release("1.3.0").replace(b"order_placed", b"nothing_happened"))
    with pytest.raises(CommandError, match="unknown event"):
        call_command("masa_pack", "sign", str(pack), "--key", str(key))
    assert not (tmp_path / "pack.yaml.sig").exists()


def test_a_key_pasted_as_pem_or_base64_pins_the_same_key_and_openssl_signatures_verify():
    from cryptography.hazmat.primitives import serialization

    private = signing.Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert signing.normalized(pem) == signing.normalized(signing.public_text(private.public_key()))
    raw_signature = private.sign(b"pack")          # what `openssl pkeyutl -sign -rawin` writes
    signing.verify(b"pack", raw_signature, pem)
    for bad in ("", "hello", "AAAA", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "x" * 5000):
        with pytest.raises(signing.SigningError):
            signing.load_public_key(bad)
