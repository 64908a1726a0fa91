"""What the WhatsApp channel and webhook share (``masa.whatsapp_cloud``): the 24-hour window, Meta's
webhook signature checked against a forged or replayed-with-changes body, and phone numbers in
international form or refused."""
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from masa.whatsapp_cloud import normalize_number, verify_signature, window_open

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_the_window_is_open_for_24_hours_after_the_customer_wrote():
    assert window_open(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not window_open(NOW - timedelta(hours=24), NOW)
    assert not window_open(None, NOW)


def test_a_signature_made_with_the_app_secret_verifies_and_nothing_else_does():
    good = "sha256=" + hmac.new(b"app-s3cret", BODY, hashlib.sha256).hexdigest()
    assert verify_signature("app-s3cret", BODY, good)
    assert verify_signature("app-s3cret", BODY, good.upper().replace("SHA256=", "sha256="))
    assert not verify_signature("another-secret", BODY, good)
    assert not verify_signature("app-s3cret", BODY + b" ", good)
    assert not verify_signature("app-s3cret", BODY, good.removeprefix("sha256="))
    assert not verify_signature("", BODY, "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest())
    assert not verify_signature("app-s3cret", BODY, "")


@pytest.mark.parametrize("written, number", [
    ("972501234567", "+972501234567"),          # WhatsApp's wa_id
    ("+972 50-123-4567", "+972501234567"),
    ("00972 50 123 4567", "+972501234567"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("\u2066+972501234567\u2069", "+972501234567"),
    ("050-123-4567", ""),                        # a local number: no country code
    ("+972 50 123 4567 ext 2", ""),
    ("+٩٧٢٥٠١٢٣٤٥٦٧", ""),
    ("+1234567", ""),
    ("+1234567890123456", ""),
    ("", ""),
])
def test_numbers_are_international_or_refused(written, number):
    assert normalize_number(written) == number
