"""Worker memory over many evaluations: RSS must stay flat, not grow with evaluations or customers.

durable-rules keeps session state in memory (docs/architecture.md, "durable-rules"); the adapter reuses a bounded pool of
sessions and empties each after use. Two phases, RSS sampled as they run:

1. the engine: 1,000,000 evaluations of the senior-care pack's compiled rules across 100,000
   distinct customers, with forward chaining (effects applied to in-memory customers and asserted
   back as change facts, as the worker does);
2. the worker's whole path (``evaluate_events``: PostgreSQL facts, firings, scheduled actions) over
   a smaller number of stored events, to catch growth outside the engine (ORM, caches).

    python -m bench.memory            # 1,000,000 + 5,000 evaluations
    python -m bench.memory --smoke    # seconds, for CI
"""
from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import datetime, timezone

from .common import Checks, report, reset_tables, rss_mib, setup_django
from .evaluate import CATEGORIES, PACK, check_evaluated, install_pack, store_orders

FLAT_MIB = 10


def _samples_line(samples: list[tuple[int, float]]) -> str:
    picks = samples[:: max(1, len(samples) // 8)] + [samples[-1]]
    return "  ".join(f"{count:,}→{rss:.0f}" for count, rss in picks)


def _growth(samples: list[tuple[int, float]]) -> float:
    """RSS growth after the first tenth (warm-up: rules compiled, pools filled)."""
    warm = samples[max(1, len(samples) // 10)][1]
    return max(rss for _, rss in samples) - warm


def engine_phase(evaluations: int, customers: int, samples_wanted: int = 50) -> dict:
    from masa.models import Customer, StoreEvent
    from masa.packs import load_pack_file
    from masa.rules import facts
    from masa.rules.engine import compile_ruleset

    pack = load_pack_file(PACK)
    compiled = pack.compiled
    ruleset = compile_ruleset({rule_id: rule.condition for rule_id, rule in sorted(compiled.items())})
    windows = frozenset().union(*(rule.windows for rule in compiled.values()))
    rng = random.Random(3)
    at = datetime(2026, 6, 1, tzinfo=timezone.utc)
    every = max(1, evaluations // samples_wanted)
    samples, fired = [(0, rss_mib())], 0
    started = time.perf_counter()
    for n in range(1, evaluations + 1):
        customer = Customer(pk=rng.randrange(customers), orders_count=rng.randrange(12),
                            email="someone@example.com", facts={}, tags=[])
        category = rng.choice(CATEGORIES)
        event = StoreEvent(pk=n, name=rng.choice(["order_placed", "category_bought"]),
                           occurred_at=at, data={"order_id": f"o{n}", "category": category, "categories": [category]})
        changes = iter(range(10**6))

        def on_fire(firing):
            new = []
            for effect in compiled[firing.rule_id].effects:
                change = facts.apply_effect(customer, effect, at)
                if change is not None:
                    change["id"] = f"change:{n}:{next(changes)}"
                    new.append(change)
            return [*new, facts.customer_fact(customer, at, windows)] if new else None

        fired += len(ruleset.run([facts.customer_fact(customer, at, windows), facts.event_fact(event)], on_fire))
        if n % every == 0:
            gc.collect()
            samples.append((n, rss_mib()))
    elapsed = time.perf_counter() - started
    return {"evaluations": evaluations, "customers": customers, "firings": fired,
            "evaluations_per_s": round(evaluations / elapsed), "rss_mib": [(c, round(r, 1)) for c, r in samples],
            "growth_after_warmup_mib": round(_growth(samples), 1)}


def worker_phase(orders: int, customers: int, samples_wanted: int = 20) -> dict:
    from masa.rules.evaluate import evaluate_events

    reset_tables()
    install_pack()
    deliveries = store_orders(customers, orders, seed=11)
    every = max(1, len(deliveries) // samples_wanted)
    samples, evaluated = [(0, rss_mib())], 0
    for n, ids in enumerate(deliveries, 1):
        evaluate_events(ids)
        evaluated += len(ids)
        if n % every == 0:
            gc.collect()
            samples.append((evaluated, rss_mib()))
    return {"evaluations": evaluated, "customers": customers, "rss_mib": [(c, round(r, 1)) for c, r in samples],
            "growth_after_warmup_mib": round(_growth(samples), 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--evaluations", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--worker-orders", type=int, default=1_000, help="orders (≈5 events each) for phase 2")
    args = parser.parse_args(argv)
    if args.smoke:
        args.evaluations, args.customers, args.worker_orders = 5_000, 1_000, 40
    setup_django()
    engine = engine_phase(args.evaluations, args.customers)
    worker = worker_phase(args.worker_orders, max(1, args.worker_orders // 2))
    flat = engine["growth_after_warmup_mib"] <= FLAT_MIB and worker["growth_after_warmup_mib"] <= FLAT_MIB
    lines = [
        f"engine: {engine['evaluations']:,} evaluations over {engine['customers']:,} customers "
        f"({engine['evaluations_per_s']:,}/s, {engine['firings']:,} firings); RSS MiB by evaluation: "
        f"{_samples_line(engine['rss_mib'])}; growth after warm-up {engine['growth_after_warmup_mib']} MiB",
        f"worker path: {worker['evaluations']:,} events through evaluate_events; RSS MiB: {_samples_line(worker['rss_mib'])}; "
        f"growth after warm-up {worker['growth_after_warmup_mib']} MiB",
        f"flat (growth ≤ {FLAT_MIB} MiB after warm-up): {flat}",
    ]
    checks = Checks()
    checks.group("engine")
    checks.equal("evaluations", engine["evaluations"], args.evaluations)
    checks.some("firings", engine["firings"])
    checks.group("worker path")
    check_evaluated(checks, worker["evaluations"])
    checks.true(f"flat (growth ≤ {FLAT_MIB} MiB after warm-up)", flat)
    report("memory", lines, {"smoke": args.smoke, "engine": engine, "worker": worker, "flat": flat,
                             "flat_threshold_mib": FLAT_MIB}, checks,
           headline={"engine_evaluations_per_s": engine["evaluations_per_s"],
                     "worker_rss_mib": worker["rss_mib"][-1][1]})


if __name__ == "__main__":
    main()
