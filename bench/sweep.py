"""Scheduling at scale: 1,000,000 pending ScheduledActions of which 10,000 are due.

Measures the time to claim and send the due ones as a worker does (``actions.due.sweep``: guards,
render, Delivery rows, the send, what became of each), with one and with two sweeping processes,
and shows with EXPLAIN (ANALYZE, BUFFERS) that the claim query reads the partial index
``masa_action_due`` and never the pending-but-not-due rows. The e-mail goes to a fake provider at
the network edge (``ProviderEdge``, a Django e-mail backend as an SMTP or ESP backend is: each
connection opened is counted, each message serialized to its bytes and kept by its Message-ID),
so the checks also count what the provider got: every due message once, none twice. With
``--channel sms`` the messages are texts to a fake SMS provider behind the pooled HTTP client
(``masa.channels.http``'s transport, where the network would be), counted by Idempotency-Key.

The sends are marketing sends (a rule's ``send`` step, not marked transactional), which is what a
shop's reminders and broadcasts are: so the seeded customers have e-mail marketing consent (given
at seeding, source "bench"), and the guard, the consent check included, runs on every send as it
would in a shop. Without consent every action would be cancelled and nothing sent; the checks at
the end (sent = due, one Delivery per due action, none failed, cancelled or doubled) catch that.

    python -m bench.sweep            # 1,000,000 pending, 10,000 due
    python -m bench.sweep --smoke    # 20,000 pending, 200 due
    python -m bench.sweep --channel sms
"""
from __future__ import annotations

import argparse
import multiprocessing
import time
from collections import Counter

from django.core.mail.backends.base import BaseEmailBackend

from .common import Checks, report, reset_tables, setup_django

PROVIDER = "bench.sweep.ProviderEdge"
SMS_URL = "https://sms.bench.example/send"


class ProviderEdge(BaseEmailBackend):
    """A fake e-mail provider at the network edge, in this process: what an SMTP or ESP backend
    does with a message (its bytes) without the network; ``received`` counts each Message-ID."""

    received: Counter = Counter()
    connections = 0

    def open(self):
        ProviderEdge.connections += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            message.message().as_bytes()
            ProviderEdge.received[message.extra_headers["Message-ID"]] += 1
        return len(messages)


def sms_provider_edge(received: Counter):
    """A fake SMS provider behind the HTTP client's transport: each request counted by its
    Idempotency-Key, answered as a provider answers."""
    import httpx

    def answer(request):
        received[request.headers["Idempotency-Key"]] += 1
        return httpx.Response(200, json={"id": f"sms-{len(received)}"})

    return httpx.MockTransport(answer)


def seed(pending: int, due: int, consent: bool = True, channel: str = "email") -> None:
    """Insert the actions in one statement each (generate_series), then ANALYZE. ``consent``: the
    customers gave marketing consent on ``channel`` (without it nothing is sent: the checks'
    negative case)."""
    from django.db import connection
    from django.utils import timezone

    from masa.models import Channel, Customer, MessageTemplate, Rule, StoreEvent

    now = timezone.now()
    rule = Rule.objects.create(rule_id="bench-reminder", title="Bench reminder",
                               definition={"trigger": {"event": "order_placed"}, "steps": []})
    MessageTemplate.objects.create(key="bench-reminder", subject="Time to reorder, {{ customer.first_name }}",
                                   body="Hello {{ customer.first_name }}, your refill is due.")
    Channel.objects.create(name=channel, kind=channel, config={"provider": "http", "url": SMS_URL} if channel == "sms" else {})
    customers = max(1, min(100_000, pending // 10))
    field = "sms_consent" if channel == "sms" else "marketing_consent"
    Customer.objects.bulk_create(
        (Customer(store_id=f"bench-{i}", email=f"customer{i}@bench.example.com", first_name=f"Customer{i}",
                  phone=f"+97250{i:07d}", **{field: consent, f"{field}_at": now if consent else None,
                                             f"{field}_source": "bench" if consent else ""})
         for i in range(customers)), batch_size=5000)
    with connection.cursor() as cursor:
        first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
        event = StoreEvent.objects.create(source="bench", source_id="bench-order", name="order_placed",
                                          customer_id=first_customer, occurred_at=now, data={})
        cursor.execute(
            "INSERT INTO masa_scheduledaction (idempotency_key, rule_id, customer_id, event_id, step, path, kind, params, "
            "guard, due_at, status, cancel_reason, outcome, attempts, last_error, created_at, held_out, channel_choice) "
            "SELECT 'bench:' || i, %s, %s + (i %% %s), %s, 0, 'steps[0]', 'send', "
            "jsonb_build_object('template', 'bench-reminder', 'channel', %s::text), '[]', "
            "CASE WHEN i <= %s THEN %s - (i * interval '1 second') ELSE %s + (i * interval '1 second') END, "
            "'pending', '', '', 0, '', now(), false, '{}' FROM generate_series(1, %s) AS i",
            [rule.pk, first_customer, customers, event.pk, channel, due, now, now, pending])
        cursor.execute("ANALYZE masa_scheduledaction")


def explain_claim() -> str:
    from django.db import transaction
    from django.utils import timezone

    from masa import conf
    from masa.models import ScheduledAction

    with transaction.atomic():
        query = (ScheduledAction.objects.select_for_update(skip_locked=True)
                 .filter(status=ScheduledAction.Status.PENDING, due_at__lte=timezone.now())
                 .order_by("due_at").values_list("pk", flat=True)[:conf.get("SWEEP_BATCH_SIZE")])
        return query.explain(analyze=True, buffers=True)


def _sweep_until_empty(queue, channel: str) -> None:
    from django.db import connection

    from masa.channels import http

    connection.close()
    edge = provider_edge()
    edge.received.clear()
    edge.connections = 0
    if channel == "sms":
        http._transport = sms_provider_edge(edge.received)
    queue.put((*sweep_until_empty(), dict(edge.received), edge.connections))


def provider_edge() -> type[ProviderEdge]:
    """The class Django's e-mail loads by its dotted path (this module may run as ``__main__``)."""
    from django.utils.module_loading import import_string

    return import_string(PROVIDER)


def sweep_until_empty() -> tuple[int, float, float]:
    """Sweep (``actions.due.sweep``, as masa_worker does) until nothing is due: (sent, claiming
    seconds, sweeping seconds, claims included)."""
    from masa.actions import due

    claiming = [0.0]
    claim_due = due.claim_due

    def timed_claim(*args, **kwargs):
        started = time.perf_counter()
        try:
            return claim_due(*args, **kwargs)
        finally:
            claiming[0] += time.perf_counter() - started

    due.claim_due, sent, sweep_s = timed_claim, 0, 0.0
    try:
        while True:
            started = time.perf_counter()
            counts = due.sweep()
            sweep_s += time.perf_counter() - started
            if not counts:
                break
            sent += counts.get("done", 0)
    finally:
        due.claim_due = claim_due
    return sent, claiming[0], sweep_s


def check_sent(checks: Checks, pending: int, due: int, sent: int, received: Counter | None = None) -> dict:
    """Every due action sent once, through one Delivery each, and nothing else (the others still
    pending): what was done, by the rows it left; and, with ``received`` (the provider's count per
    Message-ID), every due message at the provider once."""
    from django.db.models import Count

    from masa.models import Delivery, ScheduledAction

    by_status = dict(ScheduledAction.objects.values_list("status").annotate(n=Count("pk")).order_by())
    deliveries = Delivery.objects.count()
    duplicates = deliveries - Delivery.objects.values("idempotency_key").distinct().count()
    done = {"due": due, "sent": sent, "done": by_status.get("done", 0), "deliveries": deliveries,
            "deliveries_sent": Delivery.objects.filter(status="sent").count(), "duplicate_deliveries": duplicates,
            "due_left": by_status.get("pending", 0) - (pending - due) + by_status.get("claimed", 0),
            "cancelled": by_status.get("cancelled", 0), "failed": by_status.get("failed", 0)}
    checks.some("due", due)
    checks.equal("sent", sent, due)
    checks.equal("actions done", done["done"], due)
    checks.equal("deliveries sent", done["deliveries_sent"], due)
    checks.none("cancelled", done["cancelled"])
    checks.none("failed", done["failed"])
    checks.none("due left", done["due_left"])
    checks.none("duplicates", duplicates)
    if received is not None:
        done.update(at_provider=len(received), sent_twice_at_provider=sum(n - 1 for n in received.values()))
        checks.equal("messages at the provider", len(received), due)
        checks.none("sent twice at the provider", done["sent_twice_at_provider"])
    return done


def sweep_with(processes: int, channel: str = "email") -> dict:
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    started = time.perf_counter()
    workers = [context.Process(target=_sweep_until_empty, args=(queue, channel)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    sent = sum(r[0] for r in results)
    received = sum((Counter(r[3]) for r in results), Counter())
    return {"processes": processes, "sent": sent, "seconds": round(elapsed, 2), "sends_per_s": round(sent / elapsed),
            "claim_seconds": round(sum(r[1] for r in results), 3),
            "dispatch_seconds": round(sum(r[2] for r in results), 2),
            "provider_connections": sum(r[4] for r in results), "received": received}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--channel", choices=["email", "sms"], default="email")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pending, args.due = 20_000, 200
    setup_django()
    from django.conf import settings

    settings.EMAIL_BACKEND = PROVIDER
    lines, figures = [], {"smoke": args.smoke, "pending": args.pending, "due": args.due, "channel": args.channel,
                          "runs": []}
    plan, checks = "", Checks()
    for processes in (int(p) for p in args.processes.split(",")):
        reset_tables()
        started = time.perf_counter()
        seed(args.pending, args.due, channel=args.channel)
        seed_s = time.perf_counter() - started
        plan = explain_claim()
        result = sweep_with(processes, args.channel)
        checks.group(f"{processes} process{'es' if processes > 1 else ''}")
        done = check_sent(checks, args.pending, args.due, result["sent"], result.pop("received"))
        result.update(seeded_in_s=round(seed_s, 1), **done)
        figures["runs"].append(result)
        lines.append(f"{processes} sweeping process(es): {result['sent']:,} of {args.due:,} due ({args.pending:,} "
                     f"pending) sent in {result['seconds']:.1f} s ({result['sends_per_s']:,}/s); claiming took "
                     f"{result['claim_seconds']:.2f} s in all; {done['at_provider']:,} at the provider through "
                     + (f"{result['provider_connections']:,} connections" if args.channel == "email"
                        else "the pooled HTTP client") + f", {done['sent_twice_at_provider']} twice; "
                     f"duplicates {done['duplicate_deliveries']}; "
                     f"due left {done['due_left']}; cancelled {done['cancelled']}")
    uses_index = "masa_action_due" in plan and "Seq Scan" not in plan
    checks.group("claim")
    checks.true("reads the partial index masa_action_due", uses_index)
    figures.update(explain=plan, claim_uses_partial_index=uses_index)
    lines.append("claim query plan (EXPLAIN ANALYZE, BUFFERS):")
    lines += [f"    {line}" for line in plan.splitlines()]
    lines.append(f"reads the partial index masa_action_due, no sequential scan: {uses_index}")
    report("sweep", lines, figures, checks,
           headline={f"sends_per_s_{run['processes']}_processes": run["sends_per_s"] for run in figures["runs"]})


if __name__ == "__main__":
    main()
