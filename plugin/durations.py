"""Time as shops write it and as Masa stores it: durations (``25d``, ``36h``, ``90m``, ``1d12h``),
duration settings (``seconds``: ``"10m"``, ``"10 minutes"``, ``600``), weekdays, stored moments
(ISO texts) and a customer's rhythm between orders. No database."""
from __future__ import annotations

import math
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


# A duration setting's units, as a settings file may write them ("10m", "10 min", "10 minutes").
_SETTING_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), DAY),
    **dict.fromkeys(("w", "week", "weeks"), 7 * DAY),
}
_SETTING_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_SETTING_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# No duration setting means more than a century (a longer one would overflow the dates it moves).
LONGEST_SETTING = 36525 * DAY
SETTING_EXAMPLES = "30s, 10m, 1h, 3d or 10 minutes"


def seconds(value) -> float:
    """A duration setting in seconds: a number is seconds; a text is ``30s``, ``10m``, ``1h``,
    ``3d``, ``1d12h``, ``1.5h``, words (``10 minutes``, ``2 hours 30 min``) or a number of seconds
    (``"600"``, as an environment variable gives it). Raises ValueError naming what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{_shown(value)} is not a duration (write e.g. {SETTING_EXAMPLES})")
    total = _spoken_seconds(value) if isinstance(value, str) else float(value)
    if math.isnan(total) or total < 0:
        raise ValueError(f"{_shown(value)} is not a duration (write e.g. {SETTING_EXAMPLES})")
    if total > LONGEST_SETTING:
        raise ValueError(f"{_shown(value)} is longer than a century")
    return total


def _spoken_seconds(text: str) -> float:
    spoken = text.strip().lower()
    if _SETTING_NUMBER.fullmatch(spoken):
        return float(spoken)
    total, end = 0.0, 0
    for part in _SETTING_PART.finditer(spoken):
        unit = _SETTING_UNITS.get(part.group(2))
        if unit is None or spoken[end:part.start()].strip():
            break
        total, end = total + float(part.group(1)) * unit, part.end()
    else:
        if end and end == len(spoken):
            return total
    raise ValueError(f"{_shown(text)} is not a duration (write e.g. {SETTING_EXAMPLES})")


def setting_text(value: float) -> str:
    """How a duration setting writes this many seconds, in its largest whole unit: 600 → ``10m``,
    259200 → ``3d``, 90 → ``90s``, 0.5 → ``0.5s``."""
    for unit, length in (("d", DAY), ("h", 3600.0), ("m", 60.0)):
        if value >= length and value % length == 0:
            return f"{int(value // length)}{unit}"
    return f"{int(value)}s" if float(value).is_integer() else f"{value:g}s"


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
