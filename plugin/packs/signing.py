"""Signed pack releases: an agency signs the exact bytes of ``pack.yaml`` with its Ed25519 key; a
shop that subscribed with the agency's public key verifies them before anything reads them.

Formats (docs/rule-packs.md, "Signed releases and subscriptions"):

- the private key: PEM (PKCS#8, unencrypted), as ``masa_pack keygen`` or
  ``openssl genpkey -algorithm ed25519 -out agency.pem`` writes it;
- the public key a shop pastes: the 32 raw bytes in base64 on one line (``masa_pack keygen``
  prints it), or the PEM block ``openssl pkey -in agency.pem -pubout`` prints;
- the signature (``pack.yaml.sig``): the 64-byte Ed25519 signature of the file's exact bytes, in
  base64 — on one line as ``masa_pack sign`` writes it, or wrapped at any width with any spaces,
  tabs and line ends (as ``openssl base64`` writes it, 64 columns); otherwise strict base64. The raw
  64 bytes, as ``openssl pkeyutl -sign -rawin`` writes them, are accepted too.

Every problem parsing a key or a signature is a ``SigningError`` (a sentence), whatever
``cryptography`` raised: callers (the subscribe page, ``masa_pack sign/verify``) show it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAX_KEY_CHARS = 1000
SIGNATURE_BYTES = 64
# Whatever cryptography and base64 raise for bytes that are no key: an unknown algorithm
# (UnsupportedAlgorithm), bad DER or PEM (ValueError), bad base64 (binascii.Error), a type it
# does not take (TypeError).
PARSING_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error)


class SigningError(ValueError):
    """A key or a signature that cannot be used, said in a sentence."""


class BadSignature(SigningError):
    """The signature is not the pinned key's signature of these bytes."""


def generate() -> tuple[bytes, str]:
    """A new key: (private key as PEM, public key as base64 of its 32 raw bytes)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_text(key.public_key())


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as a shop pastes it: base64 of its 32 raw bytes, one line."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError as error:
        raise SigningError("the key file is encrypted: give an unencrypted PEM key "
                           "(openssl pkey -in encrypted.pem -out agency.pem)") from error
    except UnsupportedAlgorithm as error:
        raise SigningError("the key file holds a key of an algorithm Masa does not know; make an Ed25519 key "
                           "(masa_pack keygen, or openssl genpkey -algorithm ed25519)") from error
    except PARSING_ERRORS as error:
        raise SigningError("the key file is not a PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError("the key is not an Ed25519 key (openssl genpkey -algorithm ed25519)")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """The public key in ``text``: base64 of the 32 raw bytes, or a PEM ``PUBLIC KEY`` block."""
    text = (text or "").strip()
    if not text:
        raise SigningError("no public key was given")
    if len(text) > MAX_KEY_CHARS:
        raise SigningError("this is too long for an Ed25519 public key")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii", "replace"))
        except UnsupportedAlgorithm as error:
            raise SigningError("this PEM block holds a key of an algorithm Masa does not know, not an Ed25519 "
                               "key") from error
        except PARSING_ERRORS as error:
            raise SigningError("this PEM block is not a public key") from error
        if not isinstance(key, Ed25519PublicKey):
            raise SigningError("this public key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except PARSING_ERRORS as error:
        raise SigningError("this is neither base64 nor a PEM block") from error
    if len(raw) != 32:
        raise SigningError(f"an Ed25519 public key is 32 bytes; this is {len(raw)}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except PARSING_ERRORS as error:
        raise SigningError("these 32 bytes are not an Ed25519 public key") from error


def normalized(text: str) -> str:
    """The one spelling a key is pinned in (base64 of the raw bytes), whichever way it was pasted."""
    return public_text(load_public_key(text))


def fingerprint(text: str) -> str:
    """A short, readable fingerprint of a public key, to compare with what the agency says."""
    raw = base64.b64decode(normalized(text))
    digest = hashlib.sha256(raw).hexdigest()[:16].upper()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def sign(data: bytes, key: Ed25519PrivateKey) -> str:
    """The detached signature of ``data`` as ``pack.yaml.sig`` holds it: base64, one line."""
    return base64.b64encode(key.sign(data)).decode("ascii") + "\n"


def signature_bytes(signature: bytes) -> bytes:
    """The 64 signature bytes from a ``.sig`` file: base64 (on one line or wrapped, any whitespace
    between), or the raw bytes."""
    try:
        raw = base64.b64decode(b"".join(signature.split()), validate=True)
    except PARSING_ERRORS:
        raw = b""
    if len(raw) == SIGNATURE_BYTES:
        return raw
    if len(signature) == SIGNATURE_BYTES:
        return signature
    raise BadSignature("the signature file holds no Ed25519 signature (64 bytes, in base64 or raw)")


def verify(data: bytes, signature: bytes, public_key: str) -> None:
    """Raise BadSignature unless ``signature`` is the key's signature of exactly ``data``."""
    key = load_public_key(public_key)
    try:
        key.verify(signature_bytes(signature), data)
    except (InvalidSignature, *PARSING_ERRORS) as error:
        raise BadSignature("the signature does not match the release for the pinned key: the release was "
                           "altered, or signed with another key") from error
