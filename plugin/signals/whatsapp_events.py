"""Reading a stored WhatsApp webhook (the worker's job, ``inbound``): Meta's statuses become the
message's status and events, the customer's messages become replies.

``parse`` reads the body (Meta's ``entry[].changes[].value``) without writing anything and raises
``Unreadable`` for a body that is not Meta's shape, or whose events are all another phone number's
(the channel's ``phone_number_id`` is the one it reads; Meta sends one app's numbers to the URL
the app names). ``apply`` then writes:

- a status (``statuses[]``: the wamid of a message Masa sent, sent / delivered / read / failed) on
  the channel's Delivery with that provider id: delivered → the Delivery is delivered (never over
  a bounce or failure) and ``message_delivered``; read → ``message_read`` (an open); failed → the
  Delivery failed with Meta's error in words (``whatsapp_cloud.error_words``) and
  ``message_bounced`` with that reason — unless Meta already said it was delivered or read (its
  webhooks may come in any order): a message that reached the phone never bounces after. A wamid Masa never sent changes nothing, and says so.
- a message from a customer (``messages[]``): the number (Meta's) opens the 24-hour window of every
  customer with that phone (``Customer.whatsapp_wrote_at``, only ever moved later); the reply is
  the customer's of the message it quotes (``context.id``), else of the latest WhatsApp message to
  that number, else of the one customer with that phone (several: the most recently messaged); it
  is ``message_replied`` (its text, plain, first 1000 characters) once per message id. A reply that
  says STOP (``STOP_WORDS``), Meta's marketing opt-out button, or Meta's "stop marketing messages"
  preference is also ``unsubscribed`` with channel "whatsapp" (``consent`` withdraws WhatsApp's
  consent only) for every customer with that number and the one it answered: the number is Meta's
  proof of who wrote, and a STOP is that person's word for WhatsApp, in whichever store they are. A number nobody has is recorded in the delivery's note, and nothing else.

Every event is stored once per source id (the delivery and status, the message id): reading the
same body twice, or a replay Meta signed, changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone

from django.db.models import Q
from django.utils import timezone

from ..eventstore import record_message_event, store_events
from ..events import Identity, NormalizedEvent
from ..models import Channel, Customer, Delivery, InboundDelivery
from ..whatsapp_cloud import error_words, normalize_number
from .phone_replies import customers_with, holders, reply_text, sent_by, who

SOURCE = "whatsapp"
KIND = Channel.Kind.WHATSAPP
# A reply that is one of these (trimmed, any case) withdraws WhatsApp consent; "stop promotions" is
# the text of Meta's marketing opt-out button.
STOP_WORDS = frozenset({"stop", "unsubscribe", "עצור", "הסר", "הסרה", "stop promotions"})
STATUSES = frozenset({"sent", "delivered", "read", "failed"})
ENDED = (Delivery.Status.BOUNCED, Delivery.Status.FAILED, Delivery.Status.DEAD)


class Unreadable(ValueError):
    """The stored body cannot be read as this channel's WhatsApp events (the reason says why)."""


@dataclass(frozen=True)
class Status:
    wamid: str
    status: str
    at: datetime
    error: str = ""


@dataclass(frozen=True)
class Message:
    wamid: str
    number: str
    at: datetime
    type: str
    text: str
    context: str = ""
    stop: bool = False


@dataclass(frozen=True)
class OptOut:
    """Meta's "stop marketing messages" preference (``user_preferences``), with no message id."""

    number: str
    at: datetime


@dataclass
class Reading:
    channel: Channel
    statuses: list[Status] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    opt_outs: list[OptOut] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def channel_event_type(channel_pk) -> str:
    """How a stored delivery names the channel it came to (``InboundDelivery.event_type``)."""
    return f"{SOURCE}:{channel_pk}"


def channel_setting(channel: Channel, name: str) -> str:
    """One of the channel's WhatsApp settings as ``channels.whatsapp`` keeps them: ``phone_number_id``
    in its config, ``app_secret`` and ``verify_token`` in its secrets."""
    kept = channel.config if name == "phone_number_id" else channel.secrets
    return str((kept or {}).get(name) or "")


def channel_of(event_type: str) -> Channel:
    _, _, pk = event_type.partition(":")
    channel = Channel.objects.filter(pk=int(pk) if pk.isdigit() else None, kind=KIND).first()
    if channel is None:
        raise Unreadable("its WhatsApp channel was deleted")
    return channel


def parse(event_type: str, body: str) -> Reading:
    """The statuses and messages of a stored body for its channel's number; writes nothing."""
    reading = Reading(channel_of(event_type))
    own = channel_setting(reading.channel, "phone_number_id")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise Unreadable(f"the body is not JSON: {str(error)[:200]}") from None
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise Unreadable("the body is not a WhatsApp Business Account webhook (object)")
    try:
        others, own_changes = _read_changes(payload, reading, own)
    except (AttributeError, TypeError) as error:  # a field of another type than Meta's (an object as text…)
        raise Unreadable(f"a field of the body is not of the type Meta sends ({str(error)[:120]})") from None
    if others:
        said = (f"events of WhatsApp phone number id {', '.join(sorted(others))}, not this channel's "
                f"({own or 'none set'}): not read")
        if not own_changes:
            raise Unreadable(said)
        reading.notes.append(said)
    return reading


def _read_changes(payload: dict, reading: Reading, own: str) -> tuple[set, int]:
    """Fill ``reading`` with the events of the changes for the number ``own``; the other numbers
    seen, and how many changes were the channel's."""
    others, own_changes = set(), 0
    for entry in _list(payload, "entry", "body"):
        for change in _list(entry, "changes", "entry"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise Unreadable("entry.changes[].value is not an object")
            number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
            if not number_id:
                reading.notes.append(f"a change without a phone number ({str(change.get('field'))[:40]}) was not read")
                continue
            if number_id != own:
                others.add(number_id[:40])
                continue
            own_changes += 1
            reading.statuses += [_status(item) for item in _list(value, "statuses", "value", required=False)]
            reading.messages += [_message(item) for item in _list(value, "messages", "value", required=False)]
            reading.opt_outs += [opt_out for item in _list(value, "user_preferences", "value", required=False)
                                 if (opt_out := _opt_out(item))]
    return others, own_changes


def _list(mapping, key: str, where: str, required: bool = True) -> list:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"{where}.{key} is not a list")
    return value


def _time(item: dict, where: str) -> datetime:
    try:
        at = datetime.fromtimestamp(int(str(item.get("timestamp"))), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unreadable(f"{where}.timestamp is not a Unix time") from None
    return min(at, timezone.now())  # a clock ahead of ours never moves a window into the future


def _status(item) -> Status:
    if not isinstance(item, dict) or not item.get("id"):
        raise Unreadable("value.statuses[].id is missing")
    status = str(item.get("status") or "")
    error = ""
    if status == "failed":
        errors = item.get("errors") if isinstance(item.get("errors"), list) else []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        data = first.get("error_data") if isinstance(first.get("error_data"), dict) else {}
        details = data.get("details", "")
        error, _ = error_words(first.get("code"), str(first.get("title") or first.get("message") or ""), str(details))
    return Status(str(item["id"])[:255], status, _time(item, "value.statuses[]"), error)


def _message(item) -> Message:
    if not isinstance(item, dict) or not item.get("id") or not item.get("from"):
        raise Unreadable("value.messages[] has no id or no from")
    kind = str(item.get("type") or "")
    text, stop = "", False
    if kind == "text":
        text = reply_text((item.get("text") or {}).get("body"))
    elif kind == "button":
        button = item.get("button") or {}
        text = reply_text(button.get("text"))
        stop = _says_stop(button.get("payload"))
    elif kind == "interactive":
        interactive = item.get("interactive") or {}
        chosen = interactive.get("button_reply") or interactive.get("list_reply") or {}
        text = reply_text(chosen.get("title"))
        stop = _says_stop(chosen.get("id"))
    elif kind == "system":
        system = item.get("system") or {}
        stop = system.get("type") == "user_preference_changed" and system.get("marketing") == "stop"
    context = item.get("context") if isinstance(item.get("context"), dict) else {}
    return Message(str(item["id"])[:255], normalize_number(item["from"]), _time(item, "value.messages[]"), kind, text,
                   str(context.get("id") or "")[:255], stop or _says_stop(text))


def _opt_out(item) -> OptOut | None:
    if not isinstance(item, dict) or item.get("category") != "marketing_messages" or item.get("value") != "stop":
        return None
    return OptOut(normalize_number(item.get("wa_id")), _time(item, "value.user_preferences[]"))


def _says_stop(value) -> bool:
    return isinstance(value, str) and " ".join(value.split()).casefold() in STOP_WORDS


def apply(reading: Reading, inbound_pk: int) -> str:
    """Write what ``parse`` read; returns what the worker notes on the stored delivery ("" if all
    was as expected)."""
    inbound = InboundDelivery(pk=inbound_pk)
    notes = list(reading.notes)
    for status in reading.statuses:
        notes += _apply_status(reading.channel, status, inbound)
    for message in reading.messages:
        notes += _apply_message(reading.channel, message, inbound)
    for opt_out in reading.opt_outs:
        customer, delivery = _who(reading.channel, opt_out.number, "")
        if customer is None:
            notes.append("a marketing opt-out from a number no customer has: nothing changed")
            continue
        _stop(customer, delivery, opt_out.number, f"unsubscribed:{opt_out.number}:{int(opt_out.at.timestamp())}",
              opt_out.at, inbound)
    return "; ".join(notes)


def _apply_status(channel: Channel, status: Status, inbound) -> list[str]:
    delivery = Delivery.objects.filter(channel=channel, provider_message_id=status.wamid).select_related(
        "customer", "channel", "action__rule").first()
    if delivery is None:
        return [f"status {status.status[:20]} of a message this channel did not send ({status.wamid[:80]}): "
                f"nothing changed"]
    staff = delivery.action is not None and delivery.action.kind == "notify_staff"
    key = delivery.idempotency_key
    if status.status in ("delivered", "read"):
        Delivery.objects.filter(pk=delivery.pk).exclude(status__in=ENDED).update(status=Delivery.Status.DELIVERED)
    if status.status == "failed" and not Delivery.objects.filter(pk=delivery.pk).exclude(
            status=Delivery.Status.DELIVERED).update(status=Delivery.Status.FAILED, error=status.error):
        return ["a failure Meta reported after it said the message was delivered was not read: "
                "the message stays delivered"]
    if staff:  # a staff alert's receipts are the staff's, never the customer's
        return []
    if status.status == "delivered":
        record_message_event(delivery, "message_delivered", f"message_delivered:{key}", status.at, inbound,
                             channel=KIND)
    elif status.status == "read":
        record_message_event(delivery, "message_read", f"message_read:{key}", status.at, inbound, channel=KIND)
    elif status.status == "failed":
        record_message_event(delivery, "message_bounced", f"message_bounced:{key}", status.at, inbound,
                             channel=KIND, reason=status.error, esp="whatsapp")
    elif status.status not in STATUSES:
        return [f"an unknown status {status.status[:20]!r} was not read"]
    return []


def _apply_message(channel: Channel, message: Message, inbound) -> list[str]:
    if not message.number:
        return ["a message from a sender that is not a phone number was not read"]
    wrote = message.type != "system"  # a system message (a changed preference) is Meta's, not the customer's
    if wrote:
        _open_window(message.number, message.at)
    customer, delivery = _who(channel, message.number, message.context)
    if customer is None:
        return ["a WhatsApp message from a number no customer has: recorded as unmatched, nothing else"]
    if wrote:
        Customer.objects.filter(pk=customer.pk).filter(Q(whatsapp_wrote_at__isnull=True) | Q(
            whatsapp_wrote_at__lt=message.at)).update(whatsapp_wrote_at=message.at)
        _event(customer, delivery, "message_replied", f"message_replied:{message.wamid}", message.at, inbound,
               text=message.text, type=message.type[:20])
    if message.stop:
        _stop(customer, delivery, message.number, f"unsubscribed:{message.wamid}", message.at, inbound)
    return []


def _stop(customer: Customer, delivery: Delivery | None, number: str, source_id: str, at: datetime,
          inbound) -> None:
    """A STOP is the number's word for WhatsApp: ``unsubscribed`` for the customer it answered and
    every other customer with the number (``phone_replies.holders``), each once."""
    for each in holders(number, customer):
        if each.pk == customer.pk:
            _event(customer, delivery, "unsubscribed", source_id, at, inbound)
        else:
            _event(each, None, "unsubscribed", f"{source_id}:{each.pk}", at, inbound)


def _who(channel: Channel, number: str, context: str) -> tuple[Customer | None, Delivery | None]:
    """Whose message it is, and the message it answers: the one it quotes, else as
    ``phone_replies.who`` (the latest WhatsApp message to the number, else the customer with it)."""
    delivery = sent_by(channel).filter(provider_message_id=context).first() if context else None
    if delivery is not None:
        return delivery.customer, delivery
    return who(channel, number)


def _open_window(number: str, at: datetime) -> None:
    """The 24-hour window is the number's: every customer with it wrote at ``at`` (only later moves it)."""
    Customer.objects.filter(pk__in=customers_with(number).values("pk")).filter(
        Q(whatsapp_wrote_at__isnull=True) | Q(whatsapp_wrote_at__lt=at)).update(whatsapp_wrote_at=at)


def _event(customer: Customer, delivery: Delivery | None, name: str, source_id: str, at: datetime, inbound,
           **data) -> None:
    if delivery is not None:
        record_message_event(delivery, name, source_id, at, inbound, channel=KIND, **data)
        return
    store_events("masa", [NormalizedEvent(name, source_id, at, Identity.of(customer), {
        "delivery": "", "template": "", "rule": "", "channel": KIND, **data})], inbound=inbound)
