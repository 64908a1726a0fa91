"""How much a customer hears from the shop: marketing frequency caps and quiet hours.

Checked when a marketing send falls due (transactional messages are exempt). Neither drops a
message: a send over a cap waits until the oldest counted message leaves the window, a send in
quiet hours waits until they end in the customer's time zone. ``defer_until`` says until when
and why; the scheduler moves the action and records the reason.

Settings (``MASA``): ``MARKETING_CAPS`` — ``{"day": 1, "week": 4}`` over all channels;
``Channel.config["caps"]`` — the same per channel; ``QUIET_HOURS`` — ``{"start": "21:00",
"end": "08:00"}``. All off when unset.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .. import conf
from ..models import Channel, Delivery, ScheduledAction

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7),
           "month": timedelta(days=30)}


def defer_until(action: ScheduledAction, channel: Channel, now: datetime) -> tuple[datetime, str] | None:
    """When this send may go out instead of now, with the reason; None when it may go now."""
    if not action.is_marketing_send:
        return None
    return (_over_cap(action, channel, now, conf.get("MARKETING_CAPS") or {}, None)
            or _over_cap(action, channel, now, (channel.config or {}).get("caps") or {}, channel)
            or _in_quiet_hours(action, now))


def _over_cap(action, channel, now, caps: dict, only_channel: Channel | None):
    for window_name, limit in caps.items():
        window = WINDOWS[window_name]
        sent = (Delivery.objects.filter(customer=action.customer_id, status__in=Delivery.SENT_STATUSES,
                                        sent_at__gt=now - window, action__params__class="marketing")
                .exclude(action=action))
        if only_channel is not None:
            sent = sent.filter(channel=only_channel)
        times = list(sent.order_by("-sent_at").values_list("sent_at", flat=True)[:limit])
        if len(times) >= limit:
            scope = f"on {channel.name}" if only_channel is not None else "in all"
            return times[limit - 1] + window, f"{limit} marketing message(s) a {window_name} {scope} already sent"
    return None


def _in_quiet_hours(action: ScheduledAction, now: datetime):
    quiet = conf.get("QUIET_HOURS")
    if not quiet:
        return None
    zone = _zone(action.customer.time_zone)
    local = now.astimezone(zone)
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends += timedelta(days=1)
    return ends, f"quiet hours {quiet['start']}–{quiet['end']} ({zone.key})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)
