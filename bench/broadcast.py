"""A broadcast to 100,000 customers, reached, evaluated and sent by one worker process.

Starts a broadcast of a rule that sends one marketing e-mail (``trigger: {event: broadcast}``) and
runs ``masa_worker``'s rounds (``worker.run_once``: fan-out, evaluation, the sweep) in this one
process until every customer's message went, to the fake provider of ``bench.sweep``
(``ProviderEdge``). Marketing caps (one a day) and quiet hours (set to hours that are not now) are
on, so the guard checks both on every send. The checks count what the rows and the provider say:
customers reached = actions due = sent = Delivery rows sent = messages at the provider, none twice,
none failed or cancelled, none over the cap, none sent inside quiet hours.

    python -m bench.broadcast            # 100,000 customers
    python -m bench.broadcast --smoke    # 500 customers
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import timedelta

from .common import Checks, report, reset_tables, setup_django
from .sweep import PROVIDER, provider_edge

RULE = {"trigger": {"event": "broadcast"}, "steps": [{"send": {"template": "bench-sale", "channel": "email"}}]}


def seed(customers: int, consent: bool = True) -> None:
    """The broadcast's rule, template and channel, and ``customers`` customers with e-mail marketing
    consent (``consent=False``: none, the checks' negative case)."""
    from django.utils import timezone

    from masa.models import Channel, Customer, MessageTemplate, Rule

    now = timezone.now()
    Rule.objects.create(rule_id="bench-broadcast", title="Bench broadcast", definition=RULE)
    MessageTemplate.objects.create(key="bench-sale", subject="This week's sale, {{ customer.first_name }}",
                                   body="Hello {{ customer.first_name }}, this week only: 20% off.")
    Channel.objects.create(name="email", kind="email", config={"from_email": "shop@bench.example.com"})
    Customer.objects.bulk_create(
        (Customer(store_id=f"bench-{i}", email=f"customer{i}@bench.example.com", first_name=f"Customer{i}",
                  marketing_consent=consent, marketing_consent_at=now if consent else None,
                  marketing_consent_source="bench" if consent else "")
         for i in range(customers)), batch_size=5000)


def dosage(now) -> dict:
    """One marketing message a day, and quiet hours that begin six hours from now (not now)."""
    start, end = now + timedelta(hours=6), now + timedelta(hours=8)
    return {"MARKETING_CAPS": {"day": 1}, "QUIET_HOURS": {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}}


def broadcast_until_sent(timeout: float) -> dict:
    """Start the broadcast and run worker rounds until every action it planned is finished (or
    ``timeout`` seconds passed): what the rounds did, and how long it took."""
    from masa import worker
    from masa.models import Broadcast, Rule, ScheduledAction, StoreEvent
    from masa.rules.broadcast import start_broadcast

    started = time.perf_counter()
    broadcast = start_broadcast(Rule.objects.get(rule_id="bench-broadcast"), None, by="bench")
    rounds, sent, reached_at = 0, 0, None
    waiting = (ScheduledAction.Status.PENDING, ScheduledAction.Status.CLAIMED)
    while time.perf_counter() - started < timeout:
        done = worker.run_once()
        rounds += 1
        sent += done.actions.get("done", 0)
        if reached_at is None and Broadcast.objects.filter(pk=broadcast.pk, status=Broadcast.Status.SCHEDULED).exists():
            reached_at = time.perf_counter() - started
        if (reached_at is not None and not StoreEvent.objects.filter(name="broadcast", status="received").exists()
                and not ScheduledAction.objects.filter(status__in=waiting).exists()):
            break
    return {"seconds": round(time.perf_counter() - started, 1), "rounds": rounds, "sent": sent,
            "fanned_out_in_s": round(reached_at or 0, 1)}


def check_sent(checks: Checks, customers: int, sent: int, received: Counter, quiet: dict) -> dict:
    """What the broadcast did, by the rows it left and what the provider got."""
    from django.db.models import Count

    from masa.models import Broadcast, Delivery, ScheduledAction, StoreEvent

    broadcast = Broadcast.objects.get()
    by_status = dict(ScheduledAction.objects.values_list("status").annotate(n=Count("pk")).order_by())
    due = sum(by_status.values())
    deliveries = Delivery.objects.filter(status="sent")
    per_customer = deliveries.values("customer").annotate(n=Count("pk")).order_by()
    done = {"customers": customers, "reached": broadcast.customers_done - broadcast.customers_skipped,
            "events": StoreEvent.objects.filter(name="broadcast").count(), "due": due, "sent": sent,
            "done": by_status.get("done", 0), "deliveries_sent": deliveries.count(),
            "at_provider": len(received), "sent_twice_at_provider": sum(n - 1 for n in received.values()),
            "cancelled": by_status.get("cancelled", 0), "failed": by_status.get("failed", 0),
            "left": by_status.get("pending", 0) + by_status.get("claimed", 0),
            "over_daily_cap": per_customer.filter(n__gt=1).count(),
            "in_quiet_hours": sum(1 for at in deliveries.values_list("sent_at", flat=True) if _quiet(at, quiet))}
    checks.equal("reached", done["reached"], customers, some=True)
    checks.equal("broadcast events", done["events"], customers)
    checks.equal("actions due", due, done["reached"])
    checks.equal("sent", sent, due)
    checks.equal("actions done", done["done"], due)
    checks.equal("deliveries sent", done["deliveries_sent"], due)
    checks.equal("messages at the provider", done["at_provider"], due)
    checks.none("sent twice at the provider", done["sent_twice_at_provider"])
    checks.none("cancelled", done["cancelled"])
    checks.none("failed", done["failed"])
    checks.none("left", done["left"])
    checks.none("customers over the daily cap", done["over_daily_cap"])
    checks.none("sent in quiet hours", done["in_quiet_hours"])
    return done


def _quiet(at, quiet: dict) -> bool:
    start, end, clock = quiet["start"], quiet["end"], f"{at:%H:%M}"
    return start <= clock < end if start < end else (clock >= start or clock < end)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before giving up")
    args = parser.parse_args(argv)
    if args.smoke:
        args.customers = 500
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    settings.EMAIL_BACKEND = PROVIDER
    limits = dosage(timezone.now())
    settings.MASA = {**settings.MASA, **limits}
    reset_tables()
    started = time.perf_counter()
    seed(args.customers)
    seeded_s = time.perf_counter() - started
    edge = provider_edge()
    edge.received.clear()
    edge.connections = 0
    result = broadcast_until_sent(args.timeout)
    checks = Checks()
    checks.group(f"{args.customers:,} customers")
    done = check_sent(checks, args.customers, result["sent"], edge.received, limits["QUIET_HOURS"])
    sends_per_s = round(done["sent"] / result["seconds"]) if result["seconds"] else 0
    figures = {"smoke": args.smoke, "customers": args.customers, "seeded_in_s": round(seeded_s, 1), **result,
               **done, "sends_per_s": sends_per_s, "provider_connections": edge.connections,
               "caps": limits["MARKETING_CAPS"], "quiet_hours": limits["QUIET_HOURS"]}
    lines = [f"one worker process: {done['sent']:,} of {args.customers:,} customers sent in {result['seconds']:,.1f} s "
             f"({sends_per_s:,}/s; every customer reached after {result['fanned_out_in_s']:,.1f} s; "
             f"{result['rounds']:,} rounds); {done['at_provider']:,} at the provider through "
             f"{edge.connections:,} connections, {done['sent_twice_at_provider']} twice; caps "
             f"{limits['MARKETING_CAPS']}, quiet hours {limits['QUIET_HOURS']['start']}–{limits['QUIET_HOURS']['end']}"]
    report("broadcast", lines, figures, checks,
           headline={"broadcast_seconds": result["seconds"], "sends_per_s": sends_per_s})


if __name__ == "__main__":
    main()
