"""What the rules achieved over a period: per rule or per pack, and per day for a chart.

Conversion is last-touch: an order counts for the latest message the customer was sent within
``window`` before it; its total is that message's attributed revenue. Each order counts once.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count

from ..models import Delivery, Rule, RuleFiring, ScheduledAction, StoreEvent
from ..money import Amounts

METRICS = ("fired", "scheduled", "sent", "opened", "clicked", "converted")
CENT = Decimal("0.01")
# What counts as opening a message: an e-mail's open, WhatsApp's read receipt.
OPENED = ("message_opened", "message_read")


class ReachedCustomers:
    """What a result says per customer its messages reached (``recipient_ids``, ``revenue``)."""

    @property
    def recipients(self) -> int:
        return len(self.recipient_ids)

    @property
    def revenue_per_recipient(self) -> Amounts:
        """The attributed revenue shared out over the customers the messages reached."""
        if not self.recipients:
            return Amounts()
        return Amounts({code: (amount / self.recipients).quantize(CENT) for code, amount in self.revenue.items()})


@dataclass
class Result(ReachedCustomers):
    key: str
    label: str
    fired: int = 0
    scheduled: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: Amounts = field(default_factory=Amounts)
    currency: str = ""           # the store's, to say a zero in
    previous: "Result | None" = None
    recipient_ids: set = field(default_factory=set)   # the customers its messages reached

    def add(self, other: "Result") -> None:
        for metric in METRICS:
            setattr(self, metric, getattr(self, metric) + getattr(other, metric))
        self.revenue = self.revenue + other.revenue
        self.currency = self.currency or other.currency
        self.recipient_ids |= other.recipient_ids

    @property
    def revenue_text(self) -> str:
        return self.revenue.format(self.currency)

    def change(self, metric: str) -> str:
        """Against the previous period of the same length: "+3", "−2", "±0" ("" when not compared)."""
        if self.previous is None:
            return ""
        difference = getattr(self, metric) - getattr(self.previous, metric)
        return "±0" if not difference else (f"+{difference}" if difference > 0 else f"−{-difference}")

    def rate(self, metric: str) -> str:
        return f"{100 * getattr(self, metric) / self.sent:.0f}%" if self.sent else "–"

    @property
    def open_rate(self) -> str:
        return self.rate("opened")

    @property
    def click_rate(self) -> str:
        return self.rate("clicked")

    @property
    def conversion_rate(self) -> str:
        return self.rate("converted")


@dataclass(frozen=True)
class Sent:
    """A message a rule sent: ``rule_id`` and ``path`` name the rule and its step."""

    rule_id: str
    delivery_key: str
    customer_id: int
    sent_at: datetime
    path: str = ""
    channel: str = ""   # the kind of channel it went on (email, sms, whatsapp…)

    @property
    def step(self) -> tuple[str, str]:
        return self.rule_id, self.path


def sent_messages(since, until, rule_ids: list[str] | None = None) -> list[Sent]:
    rows = Delivery.objects.filter(status__in=Delivery.SENT_STATUSES, sent_at__gte=since, sent_at__lt=until,
                                   action__rule__isnull=False)
    if rule_ids is not None:
        rows = rows.filter(action__rule__rule_id__in=rule_ids)
    return [Sent(*row[:5], channel=row[5] or "")
            for row in rows.values_list("action__rule__rule_id", "idempotency_key", "customer_id", "sent_at",
                                        "action__path", "channel__kind")]


def feedback_counts(name: str | tuple, sent: list[Sent], by=lambda message: message.rule_id) -> dict:
    """How many of these messages got a ``name`` event (message_opened…; a tuple: any of them),
    per ``by`` of the message."""
    keys = {message.delivery_key: by(message) for message in sent}
    seen = set(StoreEvent.objects.filter(name__in=(name,) if isinstance(name, str) else name,
                                         customer_id__in={m.customer_id for m in sent})
               .values_list("data__delivery", flat=True))
    counts: dict[str, int] = defaultdict(int)
    for key in seen & set(keys):
        counts[keys[key]] += 1
    return counts


def conversions(sent: list[Sent], window: timedelta, by=lambda message: message.rule_id) -> tuple[dict, dict]:
    """Orders within ``window`` after a message, each for the latest message before it (last
    touch): counts and revenue per ``by`` of that message."""
    by_customer: dict[int, list[Sent]] = defaultdict(list)
    for message in sorted(sent, key=lambda m: m.sent_at):
        by_customer[message.customer_id].append(message)
    if not by_customer:
        return {}, {}
    first = min(m.sent_at for m in sent)
    orders = StoreEvent.objects.filter(
        name="order_placed", customer_id__in=by_customer, occurred_at__gt=first,
        occurred_at__lte=max(m.sent_at for m in sent) + window,
    ).values_list("customer_id", "occurred_at", "data__total", "data__currency")
    converted: dict = defaultdict(int)
    revenue: dict = defaultdict(Amounts)
    for customer_id, at, total, order_currency in orders:
        messages = by_customer[customer_id]
        index = bisect_left([m.sent_at for m in messages], at) - 1
        if index < 0 or at - messages[index].sent_at > window:
            continue
        key = by(messages[index])
        converted[key] += 1
        revenue[key].add(total, order_currency or "")
    return converted, revenue


def rule_results(since, until, window: timedelta = timedelta(days=7)) -> list[Result]:
    """One Result per rule that has anything in the period (and every enabled rule)."""
    rules = {rule.rule_id: rule for rule in Rule.objects.all()}
    results = {rule_id: Result(rule_id, rule.title) for rule_id, rule in rules.items()}
    for rule_id, count in (RuleFiring.objects.filter(fired_at__gte=since, fired_at__lt=until)
                           .values_list("rule__rule_id").annotate(n=Count("pk"))):
        results[rule_id].fired = count
    for rule_id, count in (ScheduledAction.objects.filter(created_at__gte=since, created_at__lt=until,
                                                          rule__isnull=False, kind="send")
                           .values_list("rule__rule_id").annotate(n=Count("pk"))):
        results[rule_id].scheduled = count
    sent = sent_messages(since, until)
    for message in sent:
        results[message.rule_id].sent += 1
        results[message.rule_id].recipient_ids.add(message.customer_id)
    for metric, name in (("opened", OPENED), ("clicked", "message_clicked")):
        for rule_id, count in feedback_counts(name, sent).items():
            setattr(results[rule_id], metric, count)
    converted, revenue = conversions(sent, window)
    for rule_id, count in converted.items():
        results[rule_id].converted, results[rule_id].revenue = count, revenue[rule_id]
    currency = store_currency()
    for result in results.values():
        result.currency = currency
    return sorted((r for r in results.values() if r.fired or r.sent or r.scheduled or rules[r.key].enabled),
                  key=lambda r: (-r.sent, -r.fired, r.key))


def pack_results(since, until, window: timedelta = timedelta(days=7), titles: dict | None = None) -> list[Result]:
    """One Result per pack, its rules added up (``titles``: pack id → the title to label it with)."""
    packs = dict(Rule.objects.values_list("rule_id", "pack"))
    totals: dict[str, Result] = {}
    for result in rule_results(since, until, window):
        pack = packs[result.key]
        label = (titles or {}).get(pack) or pack
        totals.setdefault(pack, Result(pack, label, currency=result.currency)).add(result)
    return sorted(totals.values(), key=lambda r: (-r.sent, r.key))


def store_currency() -> str:
    """The currency of the store's latest order, to say zero revenue in."""
    latest = (StoreEvent.objects.filter(name="order_placed").exclude(data__currency="")
              .order_by("-occurred_at").values_list("data__currency", flat=True)[:1])
    return next(iter(latest), "") or ""


def compared(rows: list[Result], previous: list[Result]) -> list[Result]:
    """``rows`` with each one's ``previous`` (the same key in the previous period, else zeros)."""
    before = {row.key: row for row in previous}
    for row in rows:
        row.previous = before.get(row.key) or Result(row.key, row.label, currency=row.currency)
    return rows


def daily(since, until, rule_ids: list[str] | None = None) -> list[tuple[date, int, int, int]]:
    """(day, sent, opened, clicked) for each day of the period, for a chart."""
    sent = sent_messages(since, until, rule_ids)
    keys = {m.delivery_key: m.sent_at.date() for m in sent}
    days: dict[date, list[int]] = {}
    day = since.date()
    while day <= (until - timedelta(microseconds=1)).date():
        days[day] = [0, 0, 0]
        day += timedelta(days=1)
    for message in sent:
        days.setdefault(message.sent_at.date(), [0, 0, 0])[0] += 1
    for column, names in ((1, OPENED), (2, ("message_clicked",))):
        reported = set(StoreEvent.objects.filter(name__in=names, customer_id__in={m.customer_id for m in sent})
                       .values_list("data__delivery", flat=True))
        for key in reported & set(keys):
            days[keys[key]][column] += 1
    return [(day, *counts) for day, counts in sorted(days.items())]
