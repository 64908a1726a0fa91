"""Time as shops write it and as Masa stores it: durations (``25d``, ``36h``, ``90m``, ``1d12h``),
weekdays, stored moments (ISO texts) and a customer's rhythm between orders. No database."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from statistics import median

from django.utils.dateparse import parse_date, parse_datetime

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY = 86400.0
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_PART = re.compile(r"(\d+)\s*([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text) -> timedelta:
    if isinstance(text, (int, float)):
        return timedelta(seconds=text)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not a duration (write e.g. 25d, 36h or 1d12h)")
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration (write e.g. 25d, 36h or 1d12h)")
    total = timedelta()
    for number, unit in parts:
        total += timedelta(**{_UNITS[unit]: int(number)})
    return total


def as_time(value) -> datetime | None:
    """The time an ISO date or date-time fact holds (a date counts from midnight UTC), else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value[:10])
        moment = datetime(day.year, day.month, day.day) if day else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_timezone.utc)
    return moment


def median_interval_days(times: list[str]) -> float | None:
    """The median number of days between consecutive purchases, or None below two purchases."""
    if len(times) < 2:
        return None
    parsed = [parse_datetime(t) for t in sorted(times)]
    return median((b - a).total_seconds() / DAY for a, b in zip(parsed, parsed[1:]))
