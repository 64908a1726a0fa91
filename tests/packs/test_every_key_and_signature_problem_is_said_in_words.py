"""Keys and signatures as their senders give them (review of issue 31): whatever a pasted public
key, a key file or a signature holds — a key of an algorithm ``cryptography`` does not know, another
algorithm's key, broken DER — it is ``signing.SigningError`` with words: on the subscribe page (no
error page) and from ``masa_pack sign`` / ``verify`` (no traceback). An agency's signature wrapped
at 64 columns (as ``openssl base64`` writes it), or with CRLF and spaces, is accepted; anything else
than base64 and whitespace, or another length than 64 bytes, is not. A server offering a signed
release with an absurd version gets it refused (not "unreachable")."""
from __future__ import annotations

import base64
import textwrap

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from django.core.management import call_command
from django.core.management.base import CommandError

from masa.models import PackSubscription
from masa.packs import signing, subscriptions
from tests.helpers import editor
from tests.packs.test_pack_subscriptions import URL, Agency, assert_refused, installed, release, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(monkeypatch):
    server = Agency()
    monkeypatch.setattr(subscriptions, "_transport", httpx.MockTransport(server.handler))
    return server


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + (bytes([len(body)]) if len(body) < 128 else bytes([0x81, len(body)])) + body


UNKNOWN_ALGORITHM = _der(0x30, _der(0x06, bytes([0x2a, 0x03, 0x04])))   # OID 1.2.3.4


def pem(kind: str, der: bytes) -> str:
    return f"-----BEGIN {kind}-----\n{base64.b64encode(der).decode()}\n-----END {kind}-----\n"


def unknown_algorithm_public_key() -> str:
    return pem("PUBLIC KEY", _der(0x30, UNKNOWN_ALGORITHM + _der(0x03, b"\x00" + b"\x01" * 32)))


def unknown_algorithm_private_key() -> bytes:
    return pem("PRIVATE KEY", _der(0x30, _der(0x02, b"\x00") + UNKNOWN_ALGORITHM
                                   + _der(0x04, _der(0x04, b"\x01" * 32)))).encode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


HOSTILE_PUBLIC_KEYS = {
    "unknown algorithm": unknown_algorithm_public_key(),
    "another curve": public_pem(ec.generate_private_key(ec.SECP256R1())),
    "X25519, not Ed25519": public_pem(x25519.X25519PrivateKey.generate()),
    "broken DER": pem("PUBLIC KEY", b"\x30\x03\x02\x01"),
    "not base64 in the block": "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
    "31 bytes": base64.b64encode(b"\x01" * 31).decode(),
    "not base64": "ssh-ed25519 AAAA agency@example",
}


@pytest.mark.parametrize("what", HOSTILE_PUBLIC_KEYS)
def test_a_public_key_that_is_no_ed25519_key_is_a_signing_error_in_words(what):
    with pytest.raises(signing.SigningError) as refused:
        signing.load_public_key(HOSTILE_PUBLIC_KEYS[what])
    assert str(refused.value) and "Traceback" not in str(refused.value)
    with pytest.raises(signing.SigningError):
        signing.verify(b"data", b"A" * 88, HOSTILE_PUBLIC_KEYS[what])


@pytest.mark.parametrize("what", ["unknown algorithm", "another curve", "broken DER"])
def test_the_subscribe_page_says_the_key_is_not_an_agencys_key(client, agency, what):
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    response = client.post("/admin/masa/packs/subscriptions/",
                           {"do": "subscribe", "url": URL, "public_key": HOSTILE_PUBLIC_KEYS[what]})
    assert response.status_code == 200
    assert "This is not an agency&#x27;s public key." in response.content.decode()
    assert not PackSubscription.objects.exists() and not agency.requests


def test_masa_pack_verify_and_sign_say_a_bad_key_in_words(tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_bytes(release("1.3.0"))
    (tmp_path / "pack.yaml.sig").write_text(signing.sign(pack.read_bytes(), signing.Ed25519PrivateKey.generate()))
    weird = tmp_path / "agency.pub"
    weird.write_text(unknown_algorithm_public_key())
    with pytest.raises(CommandError, match="algorithm Masa does not know"):
        call_command("masa_pack", "verify", str(pack), "--public-key", str(weird))
    with pytest.raises(CommandError, match="algorithm Masa does not know"):   # pasted, not a file
        call_command("masa_pack", "verify", str(pack), "--public-key", unknown_algorithm_public_key())
    key = tmp_path / "agency.pem"
    key.write_bytes(unknown_algorithm_private_key())
    with pytest.raises(CommandError, match="a key of an algorithm Masa does not know"):
        call_command("masa_pack", "sign", str(pack), "--key", str(key))


def openssl_base64(raw: bytes) -> bytes:
    """What ``openssl base64 -in pack.yaml.sig.bin`` writes: 64 columns, a newline after each line."""
    return "".join(line + "\n" for line in textwrap.wrap(base64.b64encode(raw).decode(), 64)).encode()


def test_an_agencys_signature_wrapped_at_64_columns_by_openssl_is_accepted(agency):
    installed("1.2.0")
    data = release("1.3.0")
    agency.routes[URL] = data
    wrapped = openssl_base64(agency.key.sign(data))
    assert wrapped.count(b"\n") == 2
    agency.routes[URL + ".sig"] = wrapped
    subscription = subscribe(agency)
    assert (subscription.status, subscription.available_version) == ("available", "1.3.0"), subscription.last_error


@pytest.mark.parametrize("spelling", [b"  %s\r\n\r\n", b"\t%s \n", b"%s"])
def test_a_signature_with_spaces_tabs_and_line_ends_is_accepted(spelling):
    key = signing.Ed25519PrivateKey.generate()
    encoded = base64.b64encode(key.sign(b"release")).decode()
    spaced = (spelling % " ".join(textwrap.wrap(encoded, 20)).encode())
    signing.verify(b"release", spaced, signing.public_text(key.public_key()))


@pytest.mark.parametrize("damage", ["a character that is not base64", "48 bytes", "65 bytes", "nothing"])
def test_a_signature_file_that_is_not_strict_base64_of_64_bytes_is_refused(damage):
    key = signing.Ed25519PrivateKey.generate()
    raw = key.sign(b"release")
    text = {"a character that is not base64": openssl_base64(raw)[:40] + b"*" + openssl_base64(raw)[41:],
            "48 bytes": openssl_base64(raw[:48]), "65 bytes": openssl_base64(raw + b"\x00"), "nothing": b"\n"}[damage]
    with pytest.raises(signing.BadSignature):
        signing.verify(b"release", text, signing.public_text(key.public_key()))


def test_masa_pack_verify_accepts_an_openssl_wrapped_signature(tmp_path, capsys):
    key = signing.Ed25519PrivateKey.generate()
    pack = tmp_path / "pack.yaml"
    pack.write_bytes(release("1.3.0"))
    (tmp_path / "pack.yaml.sig").write_bytes(openssl_base64(key.sign(pack.read_bytes())))
    call_command("masa_pack", "verify", str(pack), "--public-key", signing.public_text(key.public_key()))
    assert "the signature is valid" in capsys.readouterr().out


def test_a_signed_release_with_an_absurd_version_is_refused_not_unreachable(agency):
    installed("1.2.0")
    agency.publish(release("1.2." + "9" * 5000))
    subscription = subscribe(agency)
    assert_refused(subscription, "not_a_pack")
    assert "is not a version: three numbers of at most 9 digits each" in subscription.last_error
