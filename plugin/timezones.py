"""Time zones by country: the IANA ``zone.tab`` (from the system's zoneinfo, else the ``tzdata``
package), read once. A country with exactly one zone gives a customer's time zone when the store
says nothing better (``masa.time_zone``); Israel does, the United States does not."""
from __future__ import annotations

import zoneinfo
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


@lru_cache(maxsize=1)
def zones_by_country() -> dict[str, tuple[str, ...]]:
    zones: dict[str, list[str]] = {}
    for line in _zone_tab().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            zones.setdefault(fields[0].upper(), []).append(fields[2])
    return {country: tuple(names) for country, names in zones.items()}


def zone_of_country(code: str) -> str:
    """The country's time zone when it has exactly one, else ""."""
    zones = zones_by_country().get((code or "").upper(), ())
    return zones[0] if len(zones) == 1 else ""


def _zone_tab() -> str:
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


def customer_zone(customer) -> ZoneInfo:
    """The customer's time zone: theirs if valid, else the site's, else UTC."""
    for name in (customer.time_zone, settings.TIME_ZONE, "UTC"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return ZoneInfo("UTC")
