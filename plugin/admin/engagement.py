"""A customer's engagement over the last 12 months: messages sent, and how many of them were opened
or clicked, per month — the customer page's small chart (seed 003: "ניתוח התנהגות לאורך זמן")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import formats, timezone

from ..models import Customer, Delivery

MONTHS = 12


@dataclass
class Month:
    first_day: date
    sent: int = 0
    opened: int = 0
    clicked: int = 0

    heights: tuple[int, int, int] = (0, 0, 0)  # sent, opened, clicked in percent of the busiest month

    @property
    def short(self) -> str:
        return formats.date_format(self.first_day, "M")

    @property
    def long(self) -> str:
        return formats.date_format(self.first_day, "F Y")


def _month_of(moment) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def _months_back(today: date) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(MONTHS):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def engagement(customer: Customer, now=None) -> tuple[list[Month], int]:
    """The last 12 months, oldest first, and the busiest month's count of messages (the scale).
    A message counts in the month it was sent; opened and clicked count it once each."""
    months = {first: Month(first) for first in _months_back(_month_of(now or timezone.now()))}
    start = min(months)
    sent = (Delivery.objects.filter(customer=customer, status__in=Delivery.SENT_STATUSES, sent_at__isnull=False)
            .exclude(action__kind="notify_staff").values_list("idempotency_key", "sent_at"))
    sent_in = {key: _month_of(at) for key, at in sent}
    for key, month in sent_in.items():
        if month >= start:
            months[month].sent += 1
    # a WhatsApp read receipt is an open
    for names, attribute in ((("message_opened", "message_read"), "opened"), (("message_clicked",), "clicked")):
        keys = set(customer.events.filter(name__in=names).values_list("data__delivery", flat=True))
        for key in keys & set(sent_in):
            if sent_in[key] >= start:
                setattr(months[sent_in[key]], attribute, getattr(months[sent_in[key]], attribute) + 1)
    ordered = [months[first] for first in sorted(months)]
    peak = max((month.sent for month in ordered), default=0)
    for month in ordered:
        month.heights = tuple(round(100 * count / peak) if peak else 0
                              for count in (month.sent, month.opened, month.clicked))
    return ordered, peak
