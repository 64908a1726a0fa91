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


def _shown(text) -> str:
    """What an error shows of a value it refuses: at most 60 characters of it."""
    shown = repr(text)
    return shown if len(shown) <= 60 else f"{shown[:59]}… ({len(shown)} characters)"


def parse_duration(text) -> timedelta:
    if isinstance(text, (int, float)):
        try:
            return timedelta(seconds=text)
        except (OverflowError, ValueError):  # 1e308 seconds, nan
            raise ValueError(f"{_shown(text)} is not a duration Masa can wait") from None
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{_shown(text)} is not a duration (write e.g. 25d, 36h or 1d12h)")
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{_shown(text)} is not a duration (write e.g. 25d, 36h or 1d12h)")
    total = timedelta()
    try:
        for number, unit in parts:
            total += timedelta(**{_UNITS[unit]: int(number)})
    except (OverflowError, ValueError):  # more days than a date can hold (or digits than an int reads)
        raise ValueError(f"{_shown(text)} is longer than any duration Masa can wait") from None
    return total


def as_time(value) -> datetime | None:
    """The time an ISO date or date-time fact holds (a date counts from midnight UTC), else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:  # a well-formed but impossible date (2026-13-45, from a store field) is no time
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value[:10])
            moment = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_timezone.utc)
    return moment


def median_interval_days(times: list[str]) -> float | None:
    """The median number of days between consecutive purchases, or None below two purchases."""
    if len(times) < 2:
        return None
    parsed = [parse_datetime(t) for t in sorted(times)]
    return median((b - a).total_seconds() / DAY for a, b in zip(parsed, parsed[1:]))
