"""What the rules achieved over a period: per rule or per pack, and per day for a chart.

Conversion is last-touch: an order counts for the latest message the customer was sent within
``window`` before it; its total is that message's attributed revenue. Each order counts once.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Count

from ..models import Delivery, Rule, RuleFiring, ScheduledAction, StoreEvent

METRICS = ("fired", "scheduled", "sent", "opened", "clicked", "converted")


@dataclass
class Result:
    key: str
    label: str
    fired: int = 0
    scheduled: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)
    currency: str = ""

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


def _money(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True)
class _Sent:
    rule_id: str
    delivery_key: str
    customer_id: int
    sent_at: datetime


def _sent_messages(since, until) -> list[_Sent]:
    rows = (Delivery.objects.filter(status__in=Delivery.SENT_STATUSES, sent_at__gte=since, sent_at__lt=until,
                                    action__rule__isnull=False)
            .values_list("action__rule__rule_id", "idempotency_key", "customer_id", "sent_at"))
    return [_Sent(*row) for row in rows]


def _feedback_counts(name: str, sent: list[_Sent]) -> dict[str, int]:
    keys = {message.delivery_key: message.rule_id for message in sent}
    seen = set(StoreEvent.objects.filter(name=name, customer_id__in={m.customer_id for m in sent})
               .values_list("data__delivery", flat=True))
    counts: dict[str, int] = defaultdict(int)
    for key in seen & set(keys):
        counts[keys[key]] += 1
    return counts


def _conversions(sent: list[_Sent], window: timedelta) -> tuple[dict[str, int], dict[str, Decimal], str]:
    by_customer: dict[int, list[_Sent]] = defaultdict(list)
    for message in sorted(sent, key=lambda m: m.sent_at):
        by_customer[message.customer_id].append(message)
    if not by_customer:
        return {}, {}, ""
    first = min(m.sent_at for m in sent)
    orders = StoreEvent.objects.filter(
        name="order_placed", customer_id__in=by_customer, occurred_at__gt=first,
        occurred_at__lte=max(m.sent_at for m in sent) + window,
    ).values_list("customer_id", "occurred_at", "data__total", "data__currency")
    converted: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    currency = ""
    for customer_id, at, total, order_currency in orders:
        messages = by_customer[customer_id]
        index = bisect_left([m.sent_at for m in messages], at) - 1
        if index < 0 or at - messages[index].sent_at > window:
            continue
        rule_id = messages[index].rule_id
        converted[rule_id] += 1
        revenue[rule_id] += _money(total)
        currency = currency or order_currency or ""
    return converted, revenue, currency


def rule_results(since, until, window: timedelta = timedelta(days=7)) -> list[Result]:
    """One Result per rule that has anything in the period (and every enabled rule)."""
    rules = {rule.rule_id: rule for rule in Rule.objects.all()}
    results = {rule_id: Result(rule_id, f"{rule.title} ({rule.pack})") for rule_id, rule in rules.items()}
    for rule_id, count in (RuleFiring.objects.filter(fired_at__gte=since, fired_at__lt=until)
                           .values_list("rule__rule_id").annotate(n=Count("pk"))):
        results[rule_id].fired = count
    for rule_id, count in (ScheduledAction.objects.filter(created_at__gte=since, created_at__lt=until,
                                                          rule__isnull=False, kind="send")
                           .values_list("rule__rule_id").annotate(n=Count("pk"))):
        results[rule_id].scheduled = count
    sent = _sent_messages(since, until)
    for message in sent:
        results[message.rule_id].sent += 1
    for metric, name in (("opened", "message_opened"), ("clicked", "message_clicked")):
        for rule_id, count in _feedback_counts(name, sent).items():
            setattr(results[rule_id], metric, count)
    converted, revenue, currency = _conversions(sent, window)
    for rule_id, count in converted.items():
        results[rule_id].converted, results[rule_id].revenue = count, revenue[rule_id]
    for result in results.values():
        result.currency = currency
    return sorted((r for r in results.values() if r.fired or r.sent or r.scheduled or rules[r.key].enabled),
                  key=lambda r: (-r.sent, -r.fired, r.key))


def pack_results(since, until, window: timedelta = timedelta(days=7)) -> list[Result]:
    packs = dict(Rule.objects.values_list("rule_id", "pack"))
    totals: dict[str, Result] = {}
    for result in rule_results(since, until, window):
        pack = packs[result.key]
        total = totals.setdefault(pack, Result(pack, pack, currency=result.currency))
        for metric in (*METRICS, "revenue"):
            setattr(total, metric, getattr(total, metric) + getattr(result, metric))
    return sorted(totals.values(), key=lambda r: (-r.sent, r.key))


def daily(since, until, rule_ids: list[str] | None = None) -> list[tuple[date, int, int, int]]:
    """(day, sent, opened, clicked) for each day of the period, for a chart."""
    sent = [m for m in _sent_messages(since, until) if rule_ids is None or m.rule_id in rule_ids]
    keys = {m.delivery_key: m.sent_at.date() for m in sent}
    days: dict[date, list[int]] = {}
    day = since.date()
    while day <= (until - timedelta(microseconds=1)).date():
        days[day] = [0, 0, 0]
        day += timedelta(days=1)
    for message in sent:
        days.setdefault(message.sent_at.date(), [0, 0, 0])[0] += 1
    for column, name in ((1, "message_opened"), (2, "message_clicked")):
        reported = set(StoreEvent.objects.filter(name=name, customer_id__in={m.customer_id for m in sent})
                       .values_list("data__delivery", flat=True))
        for key in reported & set(keys):
            days[keys[key]][column] += 1
    return [(day, *counts) for day, counts in sorted(days.items())]
