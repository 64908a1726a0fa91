"""Scheduling at scale: 1,000,000 pending ScheduledActions of which 10,000 are due.

Measures the time to claim and dispatch the due ones (render, Delivery row, email through
Django's in-memory backend standing in for the network), with one and with two sweeping
processes, and shows with EXPLAIN (ANALYZE, BUFFERS) that the claim query reads the partial
index ``masa_action_due`` and never the pending-but-not-due rows.

The sends are marketing sends (a rule's ``send`` step, not marked transactional), which is what a
shop's reminders and broadcasts are: so the seeded customers have e-mail marketing consent (given
at seeding, source "bench"), and the guard, the consent check included, runs on every send as it
would in a shop. Without consent every action would be cancelled and nothing sent; the checks at
the end (sent = due, one Delivery per due action, none failed, cancelled or doubled) catch that.

    python -m bench.sweep            # 1,000,000 pending, 10,000 due
    python -m bench.sweep --smoke    # 20,000 pending, 200 due
"""
from __future__ import annotations

import argparse
import multiprocessing
import time

from .common import Checks, report, reset_tables, setup_django


def seed(pending: int, due: int, consent: bool = True) -> None:
    """Insert the actions in one statement each (generate_series), then ANALYZE. ``consent``: the
    customers gave e-mail marketing consent (without it nothing is sent: the checks' negative case)."""
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
        (Customer(store_id=f"bench-{i}", email=f"customer{i}@bench.example.com", first_name=f"Customer{i}",
                  marketing_consent=consent, marketing_consent_at=now if consent else None,
                  marketing_consent_source="bench" if consent else "")
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

    connection.close()
    queue.put(sweep_until_empty())


def sweep_until_empty() -> tuple[int, float, float]:
    """Claim and dispatch due actions until none is left: (sent, claiming seconds, dispatching seconds)."""
    from masa.actions.due import claim_due, dispatch

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
    return sent, claim_s, dispatch_s


def check_sent(checks: Checks, pending: int, due: int, sent: int) -> dict:
    """Every due action sent once, through one Delivery each, and nothing else (the others still
    pending): what was done, by the rows it left."""
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
    return done


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
    lines, figures = [], {"smoke": args.smoke, "pending": args.pending, "due": args.due, "runs": []}
    plan, checks = "", Checks()
    for processes in (int(p) for p in args.processes.split(",")):
        reset_tables()
        started = time.perf_counter()
        seed(args.pending, args.due)
        seed_s = time.perf_counter() - started
        plan = explain_claim()
        result = sweep_with(processes)
        checks.group(f"{processes} process{'es' if processes > 1 else ''}")
        done = check_sent(checks, args.pending, args.due, result["sent"])
        result.update(seeded_in_s=round(seed_s, 1), **done)
        figures["runs"].append(result)
        lines.append(f"{processes} sweeping process(es): {result['sent']:,} of {args.due:,} due ({args.pending:,} "
                     f"pending) sent in {result['seconds']:.1f} s ({result['sends_per_s']:,}/s); claiming took "
                     f"{result['claim_seconds']:.2f} s in all; duplicates {done['duplicate_deliveries']}; "
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
