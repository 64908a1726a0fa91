"""The journey drawing's figures at shop scale: 500,000 scheduled actions over 20 rules.

Seeds the actions of 20 rules, each over four steps in every status (one INSERT … SELECT from
generate_series), then times ``reports.journey.journey_counts`` for one rule over 30 days, as
the rule's journey page asks for it, and shows with EXPLAIN that its per-step GROUP BYs read the
``masa_action_rule_step`` index alone (an index-only scan after the vacuum autovacuum does).
Target: the figures in under 200 ms.

    python -m bench.journey            # 500,000 actions
    python -m bench.journey --smoke    # 20,000
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from .common import Checks, report, reset_tables, setup_django

RULES, STEPS = 20, 4
TARGET_MS = 200


def seed(actions: int) -> list[str]:
    from django.db import connection
    from django.utils import timezone

    from masa.models import Customer, Rule, StoreEvent

    now = timezone.now()
    rules = [Rule.objects.create(rule_id=f"bench-{n}", title=f"Bench {n}", definition={
        "trigger": {"event": "order_placed"}, "steps": [{"wait": "1d"}, {"send": {"template": "t"}}]})
        for n in range(RULES)]
    customer = Customer.objects.create(email="bench@example.com")
    event = StoreEvent.objects.create(source="bench", source_id="o", name="order_placed", customer=customer,
                                      occurred_at=now, data={})
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO masa_scheduledaction (idempotency_key, rule_id, customer_id, event_id, step, path, kind, "
            "params, guard, due_at, status, cancel_reason, outcome, attempts, last_error, created_at, completed_at, "
            "held_out, channel_choice) "
            "SELECT 'bench:' || i, %s + (i %% %s), %s, %s, (i / %s) %% %s, 'steps[' || ((i / %s) %% %s) || ']', 'send', "
            "'{}', '[]', "
            "%s - (i * interval '1 second'), (ARRAY['pending', 'done', 'cancelled', 'failed'])[1 + (i / 7) %% 4], "
            "CASE WHEN (i / 7) %% 4 = 2 THEN 'the customer ordered again on 2026-11-' || (1 + i %% 28) ELSE '' END, "
            "'', 0, '', %s, %s - (i * interval '1 second'), false, '{}' FROM generate_series(1, %s) AS i",
            [rules[0].pk, RULES, customer.pk, event.pk, RULES, STEPS, RULES, STEPS, now, now, now, actions])
    with connection.cursor() as cursor:   # VACUUM outside a transaction, as autovacuum would
        cursor.execute("VACUUM ANALYZE masa_scheduledaction")
    return [rule.rule_id for rule in rules]


def explain(rule_id: str) -> str:
    from masa.models import Rule, ScheduledAction
    from masa.reports.journey import per_step

    rule = Rule.objects.get(rule_id=rule_id)
    return per_step(ScheduledAction.objects.filter(rule_id__in=[rule.pk], status=ScheduledAction.Status.PENDING)).explain(
        analyze=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--actions", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if args.smoke:
        args.actions, args.runs = 20_000, 3
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from masa.reports.journey import journey_counts

    reset_tables()
    started = time.perf_counter()
    rule_ids = seed(args.actions)
    seeded = time.perf_counter() - started
    since, until = timezone.now() - timedelta(days=30), timezone.now() + timedelta(days=1)
    times = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            counts = journey_counts([rule_ids[0]], since, until)
            times.append((time.perf_counter() - started) * 1000)
    plan = explain(rule_ids[0])
    uses_index = "Index Only Scan using masa_action_rule_step" in plan
    median = statistics.median(times)
    steps = {path: vars(c) for (rule, path), c in counts.steps.items()}
    figures = {"smoke": args.smoke, "actions": args.actions, "rules": RULES, "median_ms": round(median, 1),
               "max_ms": round(max(times), 1), "queries": len(queries), "uses_index": uses_index,
               "target_ms": TARGET_MS, "met": median < TARGET_MS, "seeded_s": round(seeded, 1), "explain": plan,
               "steps": {path: {k: v for k, v in c.items() if k in ("waiting", "done", "failed")}
                         for path, c in steps.items()}}
    lines = [f"{args.actions:,} actions over {RULES} rules (seeded in {seeded:.1f} s); one rule's figures over "
             f"30 days: median {median:.1f} ms, max {max(times):.1f} ms over {args.runs} runs, {len(queries)} queries "
             f"(target < {TARGET_MS} ms: {'met' if median < TARGET_MS else 'missed'})",
             "per-step GROUP BY plan (EXPLAIN ANALYZE):", *[f"    {line}" for line in plan.splitlines()],
             f"who waits where is read from the index masa_action_rule_step alone (index-only scan): {uses_index}"]
    report("journey", lines, figures, check_counts(rule_ids[0], steps, since, until, uses_index),
           headline={"median_ms": figures["median_ms"], "queries": figures["queries"]})


def check_counts(rule_id: str, steps: dict, since, until, uses_index: bool) -> Checks:
    """The figures the drawing got are the rule's actions as stored (waiting, done, failed), not
    zero, and the per-step count read the index alone."""
    from django.db.models import Count

    from masa.models import ScheduledAction

    actions = ScheduledAction.objects.filter(rule__rule_id=rule_id)
    ended = actions.filter(completed_at__gte=since, completed_at__lt=until)
    stored = {"waiting": actions.filter(status="pending").count(),
              **dict(ended.filter(status__in=["done", "failed"]).values_list("status").annotate(n=Count("pk"))
                     .order_by())}
    checks = Checks()
    for figure in ("waiting", "done", "failed"):
        counted = sum(step.get(figure, 0) for step in steps.values())
        checks.equal(f"{figure} (as stored)", counted, stored.get(figure, 0), some=True)
    checks.equal("steps", len(steps), STEPS)  # every rule's actions are spread over its four steps
    checks.true("per-step count reads the index alone", uses_index)
    return checks


if __name__ == "__main__":
    main()
