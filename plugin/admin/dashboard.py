"""The panel on the Wagtail home page, in words: which store is connected (and when it last sent
something), whether the worker is running, each journey live or off with this month's messages,
orders and revenue, and how many things need attention (the *Needs attention* page's count)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from wagtail.admin.ui.components import Component

from .. import conf
from ..checks import last_worker, missing
from ..models import Delivery, InboundDelivery, PackSubscription, Rule, SaleorApp, StoreEvent
from ..reports import results
from ..reports.audience import sends_to_customers
from . import result_words as words
from .attention import attention

# Said in the panel's own store and worker lines, so not again in the setup list.
NO_STORE, NO_WORKER = "masa.W001", "masa.W003"
# What the owner can do from the Journeys menu (add a channel); the rest is the site's settings,
# for whoever runs the site, folded away.
OWNERS = {"masa.W002"}
HEARD_FROM = (InboundDelivery.Status.RECEIVED, InboundDelivery.Status.ACCEPTED, InboundDelivery.Status.DUPLICATE)


@dataclass
class Store:
    domain: str
    installed_at: datetime | None    # None: named in the site's settings
    last_received: datetime | None
    needs_reinstall: bool = False

    @property
    def just_now(self) -> bool:
        return self.last_received is not None and timezone.now() - self.last_received < timedelta(minutes=1)


def stores() -> list[Store]:
    """The stores Masa listens to, each with when it last delivered a webhook Masa accepted."""
    heard = dict(InboundDelivery.objects.filter(source="saleor", status__in=HEARD_FROM).values_list("domain")
                 .annotate(last=Max("received_at")))
    found = [Store(app.domain, app.installed_at, heard.get(app.domain),
                   app.status == SaleorApp.Status.TOKEN_REJECTED)
             for app in SaleorApp.objects.exclude(status=SaleorApp.Status.UNINSTALLED)]
    known = {store.domain for store in found}
    found += [Store(store.get("domain", ""), None, heard.get(store.get("domain", "")))
              for store in conf.get("SALEOR_STORES") if store.get("domain", "") not in known]
    return found


def worker():
    """The worker that ran last (any run mode leaves a heartbeat), if one ran in the last 10 minutes."""
    found = last_worker()
    if found is not None:
        found.recent = found.seen_at > timezone.now() - timedelta(minutes=1)
    return found


@dataclass
class JourneyLine:
    title: str
    rule_id: str
    live: bool
    sent: int
    orders: int
    revenue: str


def this_month() -> tuple[datetime, datetime]:
    now = timezone.localtime()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0), now


def journeys(since: datetime, until: datetime) -> tuple[list[JourneyLine], results.Result]:
    """Every journey (a rule that sends customers messages) with its figures, live ones first;
    and their total. Bookkeeping rules are left out."""
    figures = {row.key: row for row in results.rule_results(since, until)}
    currency = results.store_currency()
    lines, total = [], results.Result("all", "", currency=currency)
    for rule in Rule.objects.order_by("title"):
        if not sends_to_customers(rule.definition):
            continue
        row = figures.get(rule.rule_id) or results.Result(rule.rule_id, rule.title, currency=currency)
        total.add(row)
        lines.append(JourneyLine(rule.title, rule.rule_id, rule.enabled and rule.live, row.sent, row.converted,
                                 words.amounts(row.revenue, currency)))
    lines.sort(key=lambda line: (not line.live, -line.sent, line.title.lower()))
    return lines, total


def setup() -> dict:
    """What a working setup lacks: ``no_worker`` (what the check says and how to run one),
    ``setup`` what the owner can act on, ``site_setup`` the site's settings."""
    problems = [(code, message, hint) for code, message, hint in missing() if code != NO_STORE]
    return {"no_worker": next(((message, hint) for code, message, hint in problems if code == NO_WORKER), None),
            "setup": [(message, hint) for code, message, hint in problems if code in OWNERS],
            "site_setup": [(message, hint) for code, message, hint in problems if code not in OWNERS | {NO_WORKER}]}


class JourneysPanel(Component):
    name = "masa_journeys"
    order = 90
    template_name = "masa/admin/dashboard_panel.html"

    def get_context_data(self, parent_context=None):
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        since, until = this_month()
        lines, total = journeys(since, until)
        return {
            "events_today": StoreEvent.objects.filter(received_at__gte=today).count(),
            "sent_today": Delivery.objects.filter(sent_at__gte=today, status__in=Delivery.SENT_STATUSES).count(),
            "counts": attention(),
            "pack_updates": PackSubscription.objects.filter(status=PackSubscription.Status.AVAILABLE)
            .exclude(available_source="").count(),   # something to look at, not a fault
            **setup(),
            "stores": stores(),
            "worker": worker(),
            "journeys": lines,
            "live": sum(line.live for line in lines),
            "total": total,
            "total_revenue": words.amounts(total.revenue, total.currency),
            "month": since,
        }
