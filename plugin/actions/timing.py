"""When a planned action falls due: fold its waits over the triggering event's time."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Customer, StoreEvent
from ..durations import WEEKDAYS, as_time, median_interval_days
from ..timezones import customer_zone  # noqa: F401 — where the waits find it


def next_time_of_day(moment: datetime, hhmm: str, weekday: str | None, zone: ZoneInfo) -> datetime:
    """The first HH:MM (on ``weekday`` if given) at or after ``moment``, in the customer's zone."""
    local = moment.astimezone(zone)
    hour, minute = (int(part) for part in hhmm.split(":"))
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    if candidate < local:
        candidate += timedelta(days=1)
    if weekday is not None:
        candidate += timedelta(days=(WEEKDAYS.index(weekday) - candidate.weekday()) % 7)
    return candidate.astimezone(moment.tzinfo)


def anniversary_date(customer, name: str):
    """The date a yearly wait returns to: a date fact, or ``first_order`` (the first order's day)."""
    if name == "first_order":
        return customer.first_order_at.date().isoformat() if customer.first_order_at else None
    return (customer.facts or {}).get(name)


def next_anniversary(moment: datetime, date_text: str, hhmm: str, zone: ZoneInfo) -> datetime | None:
    """The next yearly return of a date (YYYY-MM-DD or MM-DD) at HH:MM, strictly after ``moment``."""
    try:
        month, day = (int(part) for part in str(date_text)[-5:].split("-"))
    except ValueError:
        return None
    local = moment.astimezone(zone)
    hour, minute = (int(part) for part in hhmm.split(":"))
    for year in (local.year, local.year + 1, local.year + 2):
        try:
            candidate = datetime(year, month, day, hour, minute, tzinfo=zone)
        except ValueError:
            candidate = datetime(year, 2, 28, hour, minute, tzinfo=zone) if (month, day) == (2, 29) else None
        if candidate is not None and candidate > local:
            return candidate.astimezone(moment.tzinfo)
    return None


# The customer's own rhythm counts from this many visits in the category, and is kept between
# these fractions of one unit's period. Purchases closer than OWN_RHYTHM_MIN_GAP to the visit before
# are the same visit (two orders minutes apart are no rhythm).
OWN_RHYTHM_MIN_PURCHASES = 2
OWN_RHYTHM_MIN_FRACTION, OWN_RHYTHM_MAX_FRACTION = 0.5, 2.0
OWN_RHYTHM_MIN_GAP = timedelta(days=1)
# A reminder never comes sooner than this fraction of the expected run-out after the purchase,
# however long the lead: a lead as long as the period would otherwise make it due at once.
EARLIEST_FRACTION = 0.5


def visits(times: list[str]) -> list[str]:
    """The purchase times with those closer than ``OWN_RHYTHM_MIN_GAP`` to the visit before left out."""
    kept: list[str] = []
    for iso in sorted(times):
        if not kept or as_time(iso) - as_time(kept[-1]) >= OWN_RHYTHM_MIN_GAP:
            kept.append(iso)
    return kept


def refill_delay(refill: dict, event: StoreEvent, customer: Customer) -> timedelta:
    """Expected run-out minus the lead time.

    What was bought lasts each product's period (``periods``, else ``period``) times its quantity
    (``per_quantity``; off: one unit's period). From the customer's second visit in the category on
    (``own_rhythm``; purchases less than a day apart are one visit), their own median interval
    between visits stands for one unit's period instead — kept between half and twice that period
    — and is multiplied by the units bought as the period is (``per_quantity``): 3 units, a
    21-day period and a 3-day lead are 60 days; her rhythm of 14 days makes them 39. Never sooner
    than half the expected run-out after the purchase.
    """
    category = refill.get("category") or event.data.get("category")
    supply, unit = supply_period(refill, event.data)
    units = supply / unit if refill["per_quantity"] and unit else 1
    period = supply if refill["per_quantity"] else unit
    times = visits(customer.category_times.get(category, [])) if refill["own_rhythm"] and category else []
    own = median_interval_days(times) if len(times) >= OWN_RHYTHM_MIN_PURCHASES else None
    if own is not None:
        period = units * min(max(own * 86400, OWN_RHYTHM_MIN_FRACTION * unit), OWN_RHYTHM_MAX_FRACTION * unit)
    return timedelta(seconds=max(period - refill["lead"], EARLIEST_FRACTION * period))


def supply_period(refill: dict, data: dict) -> tuple[float, float]:
    """(seconds what was bought lasts, seconds one unit of it lasts on average)."""
    quantities = data.get("quantities") or ({data["product_id"]: data.get("quantity", 1)} if data.get("product_id") else {})
    periods = refill.get("periods") or {}
    if not periods or not quantities:
        units = max(int(data.get("quantity", 1) or 1), 1)
        return refill["period"] * units, refill["period"]
    counted = {product: max(int(quantity or 1), 1) for product, quantity in quantities.items()}
    supply = sum(periods.get(product, refill["period"]) * count for product, count in counted.items())
    return supply, supply / sum(counted.values())


def starting_point(event: StoreEvent) -> datetime:
    """Where a rule's waits count from: the event's time, or a broadcast's date when later."""
    send_at = as_time(event.data.get("send_at")) if event.name == "broadcast" else None
    return max(event.occurred_at, send_at) if send_at else event.occurred_at


def due_at(waits, event: StoreEvent, customer: Customer, start: datetime | None = None) -> datetime:
    moment = start or starting_point(event)
    for wait in waits:
        if "for" in wait:
            moment += timedelta(seconds=wait["for"])
        elif "until" in wait:
            moment = next_time_of_day(moment, wait["until"], wait.get("weekday"), customer_zone(customer))
        elif "refill" in wait:
            moment += refill_delay(wait["refill"], event, customer)
        elif "anniversary" in wait:
            date_text = anniversary_date(customer, wait["anniversary"])
            after = moment
            if wait["anniversary"] == "first_order" and customer.first_order_at:
                after = max(moment, customer.first_order_at + timedelta(days=1))
            moment = next_anniversary(after, date_text, wait["at"], customer_zone(customer)) or moment
    return moment
