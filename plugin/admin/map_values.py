"""A map parameter's rows in a shop owner's words (the pack values page): a product by its name
as it appears on the store's orders (Masa matches products by the id the store sends with each
order line — a Saleor product's ID — so a name is turned into that id when Masa has seen it on an
order), and a duration in words ("45 days", "2 months", "50 ימים") as well as "45d"."""
from __future__ import annotations

import re
from datetime import timedelta

from django.utils.translation import gettext as _

from ..durations import parse_duration
from ..models import StoreEvent
from ..rules.wording import duration_words

RECENT_ORDERS = 2000   # how many of the latest orders name the products the page knows

# Unit words in both languages (and what the admin's own unit list says), in seconds; a month is 30 days.
_UNIT_WORDS = {
    60: ("m", "min", "mins", "minute", "minutes", "דקה", "דקות"),
    3600: ("h", "hr", "hrs", "hour", "hours", "שעה", "שעות"),
    86400: ("d", "day", "days", "יום", "ימים"),
    604800: ("w", "wk", "wks", "week", "weeks", "שבוע", "שבועות"),
    2592000: ("mo", "month", "months", "חודש", "חודשים"),
}
_TWO = {"יומיים": 2 * 86400, "שבועיים": 2 * 604800, "חודשיים": 2 * 2592000, "שעתיים": 2 * 3600}
_PART = re.compile(r"(\d+)\s*([^\d\s,]+)")


def parse_duration_words(text: str) -> str:
    """ "45 days" / "2 months" / "50 ימים" / "1d12h" → the engine's duration text ("45d", "60d");
    ValueError when it is none of them."""
    text = str(text).strip().lower()
    if text in _TWO:
        return f"{_TWO[text] // 86400}d" if _TWO[text] % 86400 == 0 else f"{_TWO[text] // 3600}h"
    try:
        if int(parse_duration(text).total_seconds()) > 0:
            return text.replace(" ", "")   # already the engine's way ("45d", "2w", "1d12h")
    except ValueError:
        pass
    seconds, rest = 0, text
    for number, unit in _PART.findall(text):
        size = next((size for size, words in _UNIT_WORDS.items() if unit.strip(".") in words), None)
        if size is None:
            raise ValueError(text)
        seconds += int(number) * size
        rest = rest.replace(number, "", 1).replace(unit, "", 1)
    if rest.strip(" ,."):
        raise ValueError(text)
    if seconds <= 0:
        raise ValueError(text)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def duration_in_words(value) -> str:
    """The stored duration as the owner reads it ("45 days"), else the value as it is."""
    try:
        return duration_words(timedelta(seconds=parse_duration(value).total_seconds()))
    except (ValueError, TypeError):
        return str(value)


def known_products() -> dict[str, str]:
    """{product id: its name} from the store's latest orders."""
    names: dict[str, str] = {}
    for data in (StoreEvent.objects.filter(name="order_placed").order_by("-occurred_at")
                 .values_list("data", flat=True)[:RECENT_ORDERS]):
        for line in (data or {}).get("lines") or []:
            if isinstance(line, dict) and line.get("product_id") and line.get("product_name"):
                names.setdefault(str(line["product_id"]), str(line["product_name"]))
    return names


def product_key(typed: str, products: dict[str, str]) -> str:
    """The id Masa matches for what the owner typed: a known product's name (any case) → its id;
    an id (or a product not ordered yet) as typed."""
    if typed in products:
        return typed
    by_name = {}
    for product_id, name in products.items():
        by_name.setdefault(name.casefold(), []).append(product_id)
    ids = by_name.get(typed.casefold(), [])
    return ids[0] if len(ids) == 1 else typed


def product_label(key: str, products: dict[str, str]) -> str:
    """How a stored key is shown: the product's name when that name is one product's, else the key."""
    name = products.get(key)
    if name and sum(1 for other in products.values() if other.casefold() == name.casefold()) == 1:
        return name
    return key
