"""Durations written the way shop admins write them: ``25d``, ``36h``, ``90m``, ``1d12h``."""
import re
from datetime import timedelta

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
