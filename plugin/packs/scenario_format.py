"""The scenario format's plain parts (docs/rule-packs.md, "Scenarios"): the start, the event kinds,
the scenario customer's fields, times. Shared by the player (``scenarios``) and the document's
checks (``scenario_document``), which must not import each other."""
from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils.dateparse import parse_datetime

from ..durations import parse_duration

START = datetime(2026, 1, 5, 8, 0, tzinfo=dt_timezone.utc)  # a Monday
SITE_SETTINGS = {"TIME_ZONE"}
ORDER_FOLLOW_UPS = ("order_paid", "order_fulfilled", "order_cancelled", "order_refunded")
# What a recipient does with the latest sent message of a template: the event it records, its data.
MESSAGE_ACTIONS = {
    "open": ("message_opened", lambda e: {}),
    "read": ("message_read", lambda e: {"channel": "whatsapp"}),   # WhatsApp's read receipt
    "click": ("message_clicked", lambda e: {"url": e.get("url", "https://shop.example/")}),
    "reply": ("message_replied", lambda e: {"text": e.get("text", "Yes, please")}),
    "answer": ("survey_answered", lambda e: {"answer": e["choice"]}),
    "join_list": ("list_joined", lambda e: {"list": e["list"]}),
    "unsubscribe": ("unsubscribed", lambda e: {}),
    "bounce": ("message_bounced", lambda e: {"reason": e.get("reason", "mailbox unavailable"), "esp": "scenario"}),
}
EVENT_KINDS = ("order", *ORDER_FOLLOW_UPS, "checkout", "customer", "form", "store_event", "broadcast", *MESSAGE_ACTIONS)
# The scenario's customer unless its ``customer:`` says otherwise (docs/rule-packs.md, "Scenarios").
CUSTOMER = {"id": "scenario-customer", "email": "ruth@example.com", "first_name": "Ruth", "last_name": "",
            "phone": "+972500000001", "language": "", "time_zone": "", "country": "", "guest": False}
CUSTOMER_FIELDS = {*CUSTOMER, "metadata", "marketing_consent", "consent"}
# ``consent: {email: true, sms: false, whatsapp: true}``: her marketing consent per channel kind
# (``masa.consent.KINDS``); a kind left out is given, as ``marketing_consent`` is by default.
CONSENT_KINDS = ("email", "sms", "whatsapp")


class ScenarioError(ValueError):
    """A scenario that cannot be played (an unknown event, a bad time, an unknown setting)."""


def moment(value, start: datetime) -> datetime:
    """An ``at:`` — an offset from the start (``2d3h``, ``0``) or an ISO date-time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt_timezone.utc)
    if isinstance(value, str) and "T" in value:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ScenarioError(f"{value!r} is not an ISO date-time")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt_timezone.utc)
    if str(value).strip() in ("0", "0d", ""):
        return start
    try:
        return start + parse_duration(value)
    except ValueError as error:
        raise ScenarioError(f"at: {error}") from None
