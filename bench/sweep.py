"""Scheduling at scale: 1,000,000 pending ScheduledActions of which 10,000 are due.

Measures the time to claim and dispatch the due ones (render, Delivery row, email through
Django's in-memory backend standing in for the network), with one and with two sweeping
processes, and shows with EXPLAIN (ANALYZE, BUFFERS) that the claim query reads the partial
index ``masa_action_due`` and never the pending-but-not-due rows.

    python -m bench.sweep            # 1,000,000 pending, 10,000 due
    python -m bench.sweep --smoke    # 20,000 pending, 200 due
"""
from __future__ import annotations

import argparse
import multiprocessing
import time

from .common import report, reset_tables, setup_django


def seed(pending: int, due: int) -> None:
    """Insert the actions in one statement each (generate_series), then ANALYZE."""
    from django.db import connection
    from django.utils import timezone

    from masa.models import Channel, Customer, MessageTemplate, Rule, StoreEvent

    now = timezone.now()
    rule = Rule.objects.create(rule_id="bench-reminder", title="Bench reminder",
                               definition={"trigger": {"event": "order_placed"}, "steps": []})
    MessageTemplate.objects.create(key="bench-reminder", subject="Time to reorder, {{ customer.first_name }}",
                                   body="Hello {{ customer.first_name }}, your refill is due.")
    Channel.objects.create(name="email", kind="email")
    customers = max(1, min(100_000, pending // 10))
    Customer.objects.bulk_create(
        (Customer(store_id=f"bench-{i}", email=f"customer{i}@bench.example.com", first_name=f"Customer{i}")
         for i in range(customers)), batch_size=5000)
    with connection.cursor() as cursor:
        first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
        event = StoreEvent.objects.create(source="bench", source_id="bench-order", name="order_placed",
                                          customer_id=first_customer, occurred_at=now, data={})
        cursor.execute(
            "INSERT INTO masa_scheduledaction (idempotency_key, rule_id, customer_id, event_id, step, path, kind, params, "
            "guard, due_at, status, cancel_reason, outcome, attempts, last_error, created_at, held_out, channel_choice) "
            "SELECT 'bench:' || i, %s, %s + (i %% %s), %s, 0, 'steps[0]', 'send', "
            "'{\"template\": \"bench-reminder\", \"channel\": \"email\"}', '[]', "
            "CASE WHEN i <= %s THEN %s - (i * interval '1 second') ELSE %s + (i * interval '1 second') END, "
            "'pending', '', '', 0, '', now(), false, '{}' FROM generate_series(1, %s) AS i",
            [rule.pk, first_customer, customers, event.pk, due, now, now, pending])
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


def _sweep_until_empty(queue) -> None:
    from django.db import connection

    from masa.actions.due import claim_due, dispatch

    connection.close()
    claim_s = dispatch_s = 0.0
    sent = 0
    while True:
        started = time.perf_counter()
        ids = claim_due()
        claim_s += time.perf_counter() - started
        if not ids:
            break
        started = time.perf_counter()
        for action_id in ids:
            sent += dispatch(action_id) == "done"
        dispatch_s += time.perf_counter() - started
    queue.put((sent, claim_s, dispatch_s))


def sweep_with(processes: int) -> dict:
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    started = time.perf_counter()
    workers = [context.Process(target=_sweep_until_empty, args=(queue,)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    sent = sum(r[0] for r in results)
    return {"processes": processes, "sent": sent, "seconds": round(elapsed, 2), "sends_per_s": round(sent / elapsed),
            "claim_seconds": round(sum(r[1] for r in results), 3),
            "dispatch_seconds": round(sum(r[2] for r in results), 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pending, args.due = 20_000, 200
    setup_django()
    from django.utils import timezone

    from masa.models import Delivery, ScheduledAction

    lines, figures = [], {"smoke": args.smoke, "pending": args.pending, "due": args.due, "runs": []}
    plan = ""
    for processes in (int(p) for p in args.processes.split(",")):
        reset_tables()
        started = time.perf_counter()
        seed(args.pending, args.due)
        seed_s = time.perf_counter() - started
        plan = explain_claim()
        result = sweep_with(processes)
        duplicates = Delivery.objects.count() - Delivery.objects.values("idempotency_key").distinct().count()
        left_due = ScheduledAction.objects.filter(status="pending", due_at__lte=timezone.now()).count()
        result.update(seeded_in_s=round(seed_s, 1), duplicate_deliveries=duplicates, due_left=left_due)
        figures["runs"].append(result)
        lines.append(f"{processes} sweeping process(es): {result['sent']:,} due of {args.pending:,} pending sent in "
                     f"{result['seconds']:.1f} s ({result['sends_per_s']:,}/s); claiming took "
                     f"{result['claim_seconds']:.2f} s in all; duplicates {duplicates}; due left {left_due}")
    uses_index = "masa_action_due" in plan and "Seq Scan" not in plan
    figures.update(explain=plan, claim_uses_partial_index=uses_index)
    lines.append("claim query plan (EXPLAIN ANALYZE, BUFFERS):")
    lines += [f"    {line}" for line in plan.splitlines()]
    lines.append(f"reads the partial index masa_action_due, no sequential scan: {uses_index}")
    report("sweep", lines, figures)
    if not uses_index or any(run["duplicate_deliveries"] or run["due_left"] for run in figures["runs"]):
        raise SystemExit("the sweep scanned the table, left due actions behind, or sent twice")


if __name__ == "__main__":
    main()
