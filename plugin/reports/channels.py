"""What each kind of channel did for a journey or a pack over a period: messages sent, opened (an
e-mail's open or WhatsApp's read receipt), clicked, replied to, the orders that followed (last
touch, as ``results``: an order counts for the latest message before it, on whichever channel it
went) and their revenue, per recipient.

A message's channel kind is its Delivery's channel's (a message whose channel was deleted since
counts as "" — no channel).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from ..models import Rule
from ..money import Amounts
from .results import OPENED, ReachedCustomers, Sent, conversions, feedback_counts, sent_messages, store_currency

# The order channels are said in; any other kind (a webhook) after them, by name.
ORDER = ("whatsapp", "sms", "email")


@dataclass
class ChannelResult(ReachedCustomers):
    kind: str
    sent: int = 0
    opened: int = 0      # e-mail opened or WhatsApp read
    clicked: int = 0
    replied: int = 0
    converted: int = 0
    revenue: Amounts = field(default_factory=Amounts)
    currency: str = ""
    recipient_ids: set = field(default_factory=set)

    @property
    def conversion_rate(self) -> float:
        """Orders per recipient."""
        return self.converted / self.recipients if self.recipients else 0.0


def _order(kind: str) -> tuple:
    return (ORDER.index(kind), "") if kind in ORDER else (len(ORDER), kind)


def by_channel(sent: list[Sent], window: timedelta, key=lambda message: message.rule_id) -> dict[str, list[ChannelResult]]:
    """``key`` of the messages (a rule, a pack) → one ChannelResult per channel kind they went on."""
    rows: dict = {}

    def row(message_key) -> ChannelResult:
        found = rows.get(message_key)
        if found is None:
            found = rows[message_key] = ChannelResult(message_key[1])
        return found

    for message in sent:
        result = row((key(message), message.channel))
        result.sent += 1
        result.recipient_ids.add(message.customer_id)
    both = lambda message: (key(message), message.channel)  # noqa: E731
    for metric, names in (("opened", OPENED), ("clicked", "message_clicked"), ("replied", "message_replied")):
        for message_key, count in feedback_counts(names, sent, by=both).items():
            setattr(row(message_key), metric, count)
    converted, revenue = conversions(sent, window, by=both)
    for message_key, count in converted.items():
        row(message_key).converted, row(message_key).revenue = count, revenue[message_key]
    currency = store_currency() if rows else ""
    found: dict[str, list[ChannelResult]] = defaultdict(list)
    for (owner, _kind), result in sorted(rows.items(), key=lambda item: _order(item[0][1])):
        result.currency = currency
        found[owner].append(result)
    return dict(found)


def rule_channels(since, until, window: timedelta = timedelta(days=7),
                  rule_ids: list[str] | None = None) -> dict[str, list[ChannelResult]]:
    """Rule id → its results per channel kind."""
    return by_channel(sent_messages(since, until, rule_ids), window)


def pack_channels(since, until, window: timedelta = timedelta(days=7)) -> dict[str, list[ChannelResult]]:
    """Pack id → its rules' results per channel kind, added up."""
    packs = dict(Rule.objects.values_list("rule_id", "pack"))
    return by_channel(sent_messages(since, until), window, key=lambda message: packs.get(message.rule_id, ""))


def all_channels(since, until, window: timedelta = timedelta(days=7)) -> list[ChannelResult]:
    """Every journey's messages together, per channel kind."""
    return by_channel(sent_messages(since, until), window, key=lambda message: "").get("", [])
