"""How much a customer hears from the shop: marketing frequency caps and quiet hours.

Checked when a marketing send falls due (transactional messages are exempt). Neither drops a
message: a send over a cap waits until the oldest counted message leaves the window, a send in
quiet hours waits until they end in the customer's time zone. ``defer_until`` says until when
and why; the scheduler moves the action and records the reason.

Settings (``MASA``): ``MARKETING_CAPS`` — ``{"day": 1, "week": 4}`` over all channels;
``Channel.config["caps"]`` — the same per channel; ``QUIET_HOURS`` — ``{"start": "21:00",
"end": "08:00"}``. All off when unset. A pack's own ``dosage`` (caps, quiet hours) applies to
its sends beside them: per window the lower cap counts, and both quiet hours keep.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .. import conf
from ..models import Channel, Delivery, ScheduledAction
from .holdout import pack_of

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7),
           "month": timedelta(days=30)}


def defer_until(action: ScheduledAction, channel: Channel, now: datetime,
                recent: "RecentSends | None" = None) -> tuple[datetime, str] | None:
    """When this send may go out instead of now, with the reason; None when it may go now.
    ``recent``: the marketing messages of a round of sends' customers, read once for the round."""
    if not action.is_marketing_send:
        return None
    pack = pack_dosage(action)
    shop_caps = stricter_caps(conf.get("MARKETING_CAPS") or {}, pack.get("caps") or {})
    return (_over_cap(action, channel, now, shop_caps, None, recent)
            or _over_cap(action, channel, now, (channel.config or {}).get("caps") or {}, channel, recent)
            or _in_quiet_hours(action, now, conf.get("QUIET_HOURS"), "the shop's")
            or _in_quiet_hours(action, now, pack.get("quiet_hours"), "the pack's"))


def pack_dosage(action: ScheduledAction) -> dict:
    """The dosage the action's pack declares (``packs.dosage``), or {}."""
    if action.rule is None:
        return {}
    return pack_of(action.rule).get("dosage") or {}


def stricter_caps(shop: dict, pack: dict) -> dict:
    """Per window, the lower of the shop's and the pack's cap: a shop tightens a pack, never loosens it."""
    return {window: min(limit for limit in (shop.get(window), pack.get(window)) if limit is not None)
            for window in WINDOWS if window in shop or window in pack}


class RecentSends:
    """The marketing messages sent to a round of sends' customers (at most one send each, so none
    of the round's own is among them) over the longest window, read in one query the first time a
    cap asks; each send's caps are then counted from them exactly as ``_over_cap``'s query counts."""

    def __init__(self, customer_ids: list[int], now: datetime):
        self.customer_ids, self.now = customer_ids, now
        self._sent: dict[int, list[tuple]] | None = None

    def times(self, action: ScheduledAction, since: datetime, channel: Channel | None, limit: int) -> list[datetime]:
        """``_over_cap``'s answer: the latest ``limit`` times sent after ``since`` (on ``channel``)."""
        if self._sent is None:
            self._sent = {}
            rows = Delivery.objects.filter(
                customer__in=self.customer_ids, status__in=Delivery.SENT_STATUSES,
                sent_at__gt=self.now - max(WINDOWS.values()), action__params__class="marketing",
            ).values_list("customer_id", "action_id", "channel_id", "sent_at")
            for customer, *sent in rows:
                self._sent.setdefault(customer, []).append(sent)
        return sorted((at for sent_by, channel_id, at in self._sent.get(action.customer_id, [])
                       if at > since and sent_by != action.pk and (channel is None or channel_id == channel.pk)),
                      reverse=True)[:limit]


def _over_cap(action, channel, now, caps: dict, only_channel: Channel | None, recent: RecentSends | None = None):
    for window_name, limit in caps.items():
        window = WINDOWS[window_name]
        if recent is not None and recent.now == now:
            times = recent.times(action, now - window, only_channel, limit)
        else:
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


def _in_quiet_hours(action: ScheduledAction, now: datetime, quiet: dict | None, whose: str):
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
    return ends, f"{whose} quiet hours {quiet['start']}–{quiet['end']} ({zone.key})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)
