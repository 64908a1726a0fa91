"""What Masa knows about Meta's WhatsApp Business Cloud API, shared by the channel that sends
(``channels/whatsapp``) and the webhook that hears back (``signals/``).

- ``WINDOW``: a customer who wrote to the business opens a 24-hour customer service window; inside it
  free text may be sent, outside it only an approved template (Meta: "Customer service windows").
- ``error_words``: Meta's error codes (the same numbers in a send's error answer and in a webhook's
  failed status) as English words for the Delivery and the timeline, and whether trying again helps.
- ``verify_signature``: a webhook's ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
  app secret), compared in constant time.
- ``normalize_number``: a phone number as WhatsApp needs it, in international form.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

GRAPH_API = "https://graph.facebook.com/v21.0"
WINDOW = timedelta(hours=24)
DETAILS_EXCERPT = 200

RETRY, NO_RETRY = True, False
# Code → (words, whether trying the same message again later can help). From Meta's "Error codes"
# page of the Cloud API documentation; codes not listed fall back to Meta's own title.
ERRORS: dict[int, tuple[str, bool]] = {
    0: ("WhatsApp could not check the channel's access (authentication failed): check the access token",
        NO_RETRY),
    3: ("the WhatsApp app lacks the permission for this (API method capability)", NO_RETRY),
    4: ("too many calls to WhatsApp from this app (rate limit)", RETRY),
    10: ("WhatsApp denied permission: the access token lacks a permission or the app is not approved for it",
         NO_RETRY),
    100: ("WhatsApp rejected a parameter of the message (invalid parameter)", NO_RETRY),
    190: ("the WhatsApp access token has expired or is invalid: fix the channel's access token", NO_RETRY),
    368: ("the WhatsApp account is temporarily blocked for a policy violation", NO_RETRY),
    80007: ("the WhatsApp business account reached its rate limit", RETRY),
    130429: ("WhatsApp's sending rate limit was reached for this phone number", RETRY),
    130472: ("Meta held the message back: the customer's number is part of a Meta experiment", NO_RETRY),
    131000: ("something went wrong at WhatsApp", RETRY),
    131005: ("WhatsApp denied access: the access token lacks a permission", NO_RETRY),
    131008: ("a required parameter is missing from the message", NO_RETRY),
    131009: ("a parameter value of the message is not valid", NO_RETRY),
    131016: ("the WhatsApp service is temporarily unavailable", RETRY),
    131021: ("the recipient is the business's own WhatsApp number", NO_RETRY),
    131026: ("message undeliverable: the number is not on WhatsApp, or cannot receive this message", NO_RETRY),
    131031: ("the WhatsApp business account is locked", NO_RETRY),
    131042: ("the WhatsApp business account has a payment problem", NO_RETRY),
    131047: ("more than 24 hours since the customer last wrote on WhatsApp: only an approved template may be "
             "sent", NO_RETRY),
    131048: ("WhatsApp's spam rate limit was reached: too many of this number's messages were blocked or "
             "reported", NO_RETRY),
    131049: ("Meta chose not to deliver this marketing message (a limit on marketing messages per customer); "
             "trying again now will not help", NO_RETRY),
    131050: ("the customer has stopped marketing messages from this business on WhatsApp", NO_RETRY),
    131051: ("WhatsApp does not support this message type", NO_RETRY),
    131052: ("WhatsApp could not download the message's media", NO_RETRY),
    131053: ("WhatsApp could not upload the message's media", NO_RETRY),
    131056: ("too many messages to this customer in a short time (rate limit for this customer)", RETRY),
    131057: ("the WhatsApp business account is in maintenance mode", RETRY),
    132000: ("the WhatsApp template's parameters do not match the approved template (number of parameters)",
             NO_RETRY),
    132001: ("the WhatsApp template does not exist in this language, or is not approved", NO_RETRY),
    132005: ("the WhatsApp template's text is too long once its parameters are filled in", NO_RETRY),
    132007: ("the WhatsApp template's content breaks WhatsApp's formatting policy", NO_RETRY),
    132012: ("the WhatsApp template's parameters do not match its approved format", NO_RETRY),
    132015: ("the WhatsApp template is paused (for low quality)", NO_RETRY),
    132016: ("the WhatsApp template is disabled", NO_RETRY),
    133004: ("the WhatsApp server is temporarily unavailable", RETRY),
    133010: ("the business phone number is not registered on WhatsApp", NO_RETRY),
}
# Codes whose details (what Meta says about this one message) say what to fix.
DETAILED = {100, 131008, 131009, 132000, 132007, 132012}


def window_open(wrote_at: datetime | None, now: datetime) -> bool:
    """Whether free text may go: the customer wrote on WhatsApp within the last 24 hours."""
    return wrote_at is not None and now - wrote_at < WINDOW


def _one_line(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text or "")).strip()
    return text[:DETAILS_EXCERPT] + ("…" if len(text) > DETAILS_EXCERPT else "")


def error_words(code: int | None, title: str = "", details: str = "") -> tuple[str, bool]:
    """An error from Meta (its code, title and details, all Meta's words) as English words for the
    Delivery and the timeline, ending with the code in parentheses, and whether retrying helps."""
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    title, details = _one_line(title), _one_line(details)
    if code in ERRORS:
        words, retry = ERRORS[code]
        if details and code in DETAILED:
            words = f"{words}: {details}"
        return f"{words} (code {code})", retry
    said = ": ".join(part for part in (title, details) if part)
    if code is None:
        return f"WhatsApp refused the message ({said or 'no reason given'})", NO_RETRY
    return f"WhatsApp refused the message (code {code}{': ' + said if said else ''})", NO_RETRY


def verify_signature(app_secret: str, body: bytes, header: str) -> bool:
    """Whether ``X-Hub-Signature-256`` ("sha256=<hex>") is the HMAC-SHA256 of ``body`` with the app
    secret. No secret, or no header, is never valid; the header is anyone's, so any characters in it
    (compared as bytes: ``compare_digest`` refuses non-ASCII text) are just not the signature."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256="):].strip().lower().encode())


def normalize_number(text: str) -> str:
    """A phone number in international form, "+" and digits ("+972501234567"), or "" when it is not
    one: spaces, dashes, dots and brackets go; "00" becomes "+"; bare digits (WhatsApp's wa_id) get
    the "+". A local number ("050…", a leading 0 with no country code) is not international: "".
    """
    text = re.sub(r"[\s\-.()\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", str(text or ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = text[1:] if text.startswith("+") else text
    if not digits.isdigit() or not digits.isascii() or digits.startswith("0") or not 8 <= len(digits) <= 15:
        return ""
    return "+" + digits
