"""Reading a stored SMS reply (the worker's job, ``inbound``): the customer's words become
``message_replied``, a STOP word ``unsubscribed`` from SMS.

``fields`` reads a body as the webhook stored it: Twilio's is form-encoded (``From``, ``Body``,
``MessageSid``, ``AccountSid``, ``OptOutType``); a generic provider's is a JSON object, or
form-encoded, with the field names of the channel's ``inbound_from_field`` / ``inbound_text_field``
/ ``inbound_id_field`` (default ``from`` / ``text`` / ``id``). ``parse`` makes it a ``Reply``
without writing anything, or raises ``Unreadable``; ``apply`` then writes:

- the reply is the customer's of the latest SMS the channel sent that number, else of the one
  customer with that phone (several: the most recently messaged) — ``phone_replies.who``, the same
  lookup as a WhatsApp reply; it is ``message_replied`` (channel "sms", its text plain, first 1000
  characters) once per message id;
- a reply that is one STOP word (``STOP_WORDS``, trimmed, any case), or Twilio's ``OptOutType=STOP``
  (Twilio's own opt-out handling recognised it), is also ``unsubscribed`` with channel "sms" for
  every customer with that phone and the one the answered message went to — the number asked,
  and each of them would be sent to it —
  which withdraws their SMS consent only (``consent``); e-mail and WhatsApp consent stay;
- START / ``OptOutType=START`` gives nothing: consent to marketing needs an opt-in, not a keyword
  (Twilio itself lets the number receive messages again);
- a number no customer has, or a sender that is no phone number (a short code, a name), is
  recorded in the delivery's note, and nothing else.

Every event is stored once per channel and message id, so a replay changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from django.utils import timezone

from ..eventstore import record_message_event, store_events
from ..events import Identity, NormalizedEvent
from ..models import Channel, InboundDelivery
from ..whatsapp_cloud import normalize_number
from .phone_replies import holders, reply_text, who

SOURCE = "sms"
KIND = Channel.Kind.SMS
# A reply that is one of these (trimmed, any case) withdraws SMS consent: the carriers' and Twilio's
# standard opt-out words, and Hebrew's.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "עצור", "הסר", "הסרה"})
# Where a generic provider's reply puts what (``Channel.config`` names them, for agencies).
GENERIC_FIELDS = {"number": ("inbound_from_field", "from"), "text": ("inbound_text_field", "text"),
                  "id": ("inbound_id_field", "id")}
ID_LIMIT = 200


class Unreadable(ValueError):
    """The stored body cannot be read as this channel's SMS reply (the reason says why)."""


@dataclass(frozen=True)
class Reply:
    message_id: str
    number: str
    text: str
    stop: bool


@dataclass(frozen=True)
class Reading:
    channel: Channel
    reply: Reply


def channel_event_type(channel_pk) -> str:
    """How a stored delivery names the SMS channel it came to (``InboundDelivery.event_type``)."""
    return f"{SOURCE}:{channel_pk}"


def is_twilio(channel: Channel) -> bool:
    return (channel.config or {}).get("provider", "http") == "twilio"


def channel_of(event_type: str) -> Channel:
    _, _, pk = event_type.partition(":")
    channel = Channel.objects.filter(pk=int(pk) if pk.isdigit() else None, kind=KIND).first()
    if channel is None:
        raise Unreadable("its SMS channel was deleted")
    return channel


def fields(channel: Channel, body: str) -> dict[str, str]:
    """The reply's number, text and message id (and Twilio's ``account`` and ``opt_out``) as the
    body gives them; a generic body starting with "{" is JSON, any other is form-encoded."""
    if is_twilio(channel):
        form = dict(parse_qsl(body, keep_blank_values=True))
        return {"number": form.get("From", ""), "text": form.get("Body", ""), "id": form.get("MessageSid", ""),
                "account": form.get("AccountSid", ""), "opt_out": form.get("OptOutType", "")}
    if body.lstrip().startswith("{"):
        try:
            given = json.loads(body)
        except (ValueError, RecursionError):
            raise Unreadable("the body is not JSON") from None
        if not isinstance(given, dict):
            raise Unreadable("the body is not a JSON object")
    else:
        given = dict(parse_qsl(body, keep_blank_values=True))
    config = channel.config or {}
    read = {}
    for name, (setting, default) in GENERIC_FIELDS.items():
        value = given.get(config.get(setting) or default)
        read[name] = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    return read


def parse(event_type: str, body: str) -> Reading:
    channel = channel_of(event_type)
    given = fields(channel, body)
    number = normalize_number(given["number"])
    text = reply_text(given["text"])
    stop = given.get("opt_out", "").upper() == "STOP" or " ".join(text.split()).casefold() in STOP_WORDS
    return Reading(channel, Reply(given["id"][:ID_LIMIT], number, text, stop))


def apply(reading: Reading, inbound_pk: int) -> str:
    """Write what ``parse`` read; returns what the worker notes on the stored delivery ("" if all
    was as expected)."""
    channel, reply = reading.channel, reading.reply
    inbound = InboundDelivery(pk=inbound_pk)
    at = InboundDelivery.objects.filter(pk=inbound_pk).values_list("received_at", flat=True).first() or timezone.now()
    if not reply.number:
        return "an SMS from a sender that is not a phone number in international form was not read"
    customer, delivery = who(channel, reply.number)
    if customer is None:
        return "an SMS from a number no customer has: recorded as unmatched, nothing else"
    said = f"{SOURCE}:{channel.pk}:{reply.message_id or f'inbound-{inbound_pk}'}"
    _event(customer, delivery, "message_replied", f"message_replied:{said}", at, inbound, text=reply.text)
    if reply.stop:
        for each in holders(reply.number, customer):
            _event(each, delivery if each.pk == customer.pk else None, "unsubscribed",
                   f"unsubscribed:{said}:{each.pk}", at, inbound)
    return ""


def _event(customer, delivery, name: str, source_id: str, at: datetime, inbound, **data) -> None:
    if delivery is not None:
        record_message_event(delivery, name, source_id, at, inbound, channel=KIND, **data)
        return
    store_events("masa", [NormalizedEvent(name, source_id, at, Identity.of(customer), {
        "delivery": "", "template": "", "rule": "", "channel": KIND, **data})], inbound=inbound)
