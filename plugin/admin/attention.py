"""What needs the shop admin's attention, counted once and the same everywhere (the home panel,
the *Needs attention* page): failed events, failed actions, undelivered messages, stored webhooks
that could not be read, channels whose circuit is open, and requests intake refused in the last
24 hours that nobody has dismissed. Refusals are grouped by their reason, each saying what to do."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import ngettext

from ..models import Channel, Delivery, InboundDelivery, ScheduledAction, StoreEvent

REJECTIONS_WINDOW = timedelta(days=1)

# code → (what happened, what to do). Codes are those of signals.saleor_webhook.Rejection and
# saleor.installation.InstallRefused (``install_`` + code).
ADVICE = {
    "bad_signature": ("The signature does not match the body.",
                      "Someone sent a forged or altered request, or a proxy rewrites bodies. If it comes from your "
                      "store's address, make sure nothing between Saleor and Masa changes the request."),
    "unknown_key": ("Signed with a key the store does not publish.",
                    "Usually a key rotation in Saleor: Masa fetches the new keys by itself. If it lasts, check the "
                    "store's API address under Saleor stores."),
    "malformed_signature": ("The signature header is not a Saleor signature.",
                            "Not sent by Saleor. Nothing to do unless it comes from your store."),
    "missing_signature": ("No signature.", "Not sent by Saleor (Saleor signs every webhook). Nothing to do."),
    "unknown_domain": ("From a store Masa does not know.",
                       "If it is your store, install Masa in it (Saleor stores) or list it in "
                       "MASA['SALEOR_STORES']. Otherwise someone is probing the endpoint: nothing to do."),
    "api_url_mismatch": ("The store's API address differs from the one installed.",
                         "The store moved or has two addresses: reinstall Masa in it from Saleor stores."),
    "missing_api_url": ("No store API address.", "Not sent by Saleor 3.x. Nothing to do."),
    "too_old": ("Sent too long ago (MASA['WEBHOOK_MAX_AGE']).",
                "Saleor retried an old delivery, or a clock is wrong. Check the server clocks (NTP); if Masa was "
                "down, the events may be missing: backfill from the store."),
    "issued_in_future": ("Dated in the future.", "A clock is wrong: check the server clocks (NTP)."),
    "missing_issued_at": ("No date in the body.", "The subscription query lacks issuedAt: reinstall the App."),
    "missing_typename": ("No event type in the body.", "The subscription query lacks __typename: reinstall the App."),
    "event_mismatch": ("The body is another event than its header says.",
                       "The App's subscriptions are out of date: reinstall the App."),
    "missing_event": ("No Saleor-Event header.", "Not sent by Saleor. Nothing to do."),
    "missing_domain": ("No Saleor-Domain header.", "Not sent by Saleor. Nothing to do."),
    "unknown_event": ("An event Masa does not subscribe to.",
                      "A webhook in the store points at Masa for an event it does not read: remove that webhook "
                      "in the Saleor dashboard or reinstall the App."),
    "too_large": ("The body is too large.",
                  "An order with very many lines, or abuse. Raise MASA['MAX_WEBHOOK_BYTES'] if orders are this big."),
    "unsupported_content_type": ("Not JSON.", "Not sent by Saleor. Nothing to do."),
    "invalid_json": ("The body is not valid JSON.", "Not sent by Saleor, or cut short on the way."),
    "too_deep": ("The body is nested too deeply.", "Abuse: nothing to do; the sender is rate limited."),
    "wrong_shape": ("The body is not shaped as Masa's subscription query.",
                    "The App's subscription queries are out of date or the store runs another Saleor version: "
                    "reinstall the App; if it lasts, report it with the reason below."),
    "keys_unavailable": ("The store's signing keys could not be fetched.",
                         "The store was unreachable from Masa. Saleor retries: check the store's API address and "
                         "the network; nothing is lost while Saleor retries."),
    "install_missing_token": ("An install request without a token.", "Not sent by Saleor. Nothing to do."),
    "install_store_not_allowed": ("An install from a store not allowed.",
                                  "Add the store's API address to MASA['SALEOR_APP_API_URLS'] and install again."),
    "install_token_not_accepted": ("The store did not accept the App token.",
                                   "Install again from the Saleor dashboard."),
    "install_invalid_json": ("An install request that is not JSON.", "Not sent by Saleor. Nothing to do."),
}
UNKNOWN = ("Refused.", "See the reason below.")


@dataclass
class Attention:
    failed_events: int = 0
    failed_actions: int = 0
    failed_messages: int = 0
    unread_webhooks: int = 0
    open_circuits: int = 0
    rejected_requests: int = 0

    @property
    def total(self) -> int:
        return (self.failed_events + self.failed_actions + self.failed_messages + self.unread_webhooks
                + self.open_circuits + self.rejected_requests)

    def parts(self) -> list[tuple[int, str]]:
        """The non-zero counts with what they count, as the home panel lists them."""
        return [(count, ngettext(one, many, count)) for count, one, many in [
            (self.failed_events, "event failed evaluation", "events failed evaluation"),
            (self.failed_actions, "action failed", "actions failed"),
            (self.failed_messages, "message not delivered", "messages not delivered"),
            (self.unread_webhooks, "webhook stored but not read", "webhooks stored but not read"),
            (self.open_circuits, "channel paused after failures", "channels paused after failures"),
            (self.rejected_requests, "request refused (24 hours)", "requests refused (24 hours)"),
        ] if count]


def rejected_recently(now: datetime | None = None):
    since = (now or timezone.now()) - REJECTIONS_WINDOW
    return InboundDelivery.objects.filter(
        Q(last_seen_at__gte=since) | Q(last_seen_at__isnull=True, received_at__gte=since),
        status=InboundDelivery.Status.REJECTED, dismissed_at__isnull=True)


def attention(now: datetime | None = None) -> Attention:
    now = now or timezone.now()
    return Attention(
        failed_events=StoreEvent.objects.filter(status=StoreEvent.Status.FAILED).count(),
        failed_actions=ScheduledAction.objects.filter(status=ScheduledAction.Status.FAILED).count(),
        failed_messages=Delivery.objects.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.DEAD]).count(),
        unread_webhooks=InboundDelivery.objects.filter(status=InboundDelivery.Status.FAILED).count(),
        open_circuits=Channel.objects.filter(circuit_open_until__gt=now).count(),
        rejected_requests=rejected_recently(now).aggregate(n=Sum("repeats"))["n"] or 0,
    )


def rejection_code(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


@dataclass
class RejectionGroup:
    code: str
    happened: str
    to_do: str
    requests: int = 0
    last_seen_at: datetime | None = None
    domains: set = field(default_factory=set)
    addresses: set = field(default_factory=set)
    example: str = ""


def rejection_groups(now: datetime | None = None) -> list[RejectionGroup]:
    """Refusals of the last 24 hours not dismissed, one group per reason, most requests first
    (at most ``REJECTED_WEBHOOKS_KEEP`` rows exist, so this reads a bounded number)."""
    groups: dict[str, RejectionGroup] = {}
    rows = rejected_recently(now).values_list("reason", "repeats", "last_seen_at", "received_at", "domain",
                                              "remote_addr")
    for reason, repeats, last_seen, received, domain, address in rows:
        seen = last_seen or received
        code = rejection_code(reason)
        group = groups.get(code) or groups.setdefault(code, RejectionGroup(code, *ADVICE.get(code, UNKNOWN)))
        group.requests += repeats
        if group.last_seen_at is None or seen > group.last_seen_at:
            group.last_seen_at, group.example = seen, reason
        group.domains.add(domain or "no domain")
        if address:
            group.addresses.add(address)
    return sorted(groups.values(), key=lambda g: (-g.requests, g.code))


def dismiss_rejections(code: str, now: datetime | None = None) -> int:
    """Dismiss the refusals of one reason (they stop counting; a new one counts again)."""
    now = now or timezone.now()
    ids = [pk for pk, reason in rejected_recently(now).values_list("pk", "reason") if rejection_code(reason) == code]
    return InboundDelivery.objects.filter(pk__in=ids).update(dismissed_at=now)

