"""Evaluation speed.

1. The engine alone (no database) at 10, 100 and 1,000 rules, against the same conditions
   compiled to Python closures (indexed by event type, as an engine's alpha network is) and a
   deliberately naive pure-Python evaluator that loops over every rule and interprets them.
2. End to end per worker process: the senior-care pack, customer facts loaded from and written
   to PostgreSQL, one transaction per delivery as the worker runs it
   (``masa.rules.evaluate.evaluate_events``).

    python -m bench.evaluate            # full size
    python -m bench.evaluate --smoke    # seconds, for CI
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .common import Checks, percentiles, report, reset_tables, setup_django

TARGET_E2E = 1000       # one delivery per transaction (issue 34)
TARGET_BATCHED = 1500   # ten deliveries per transaction, as masa_worker takes them


def synthetic_conditions(count: int) -> dict:
    """``count`` rules: each watches one category of placed orders, some with a customer condition."""
    conditions = {}
    for i in range(count):
        event = {"$and": [{"kind": "event"}, {"type": "order_placed"}, {"$iany": {"categories": {"$i": f"cat{i}"}}}]}
        rule = [{"e": event}]
        if i % 2:
            rule.append({"c": {"$and": [{"kind": "customer"}, {"$gte": {"orders_count": i % 5}}]}})
        conditions[f"rule-{i}"] = rule
    return conditions


def naive_matches(condition, fact) -> bool:
    """Interpret one durable-rules condition against one fact, the slow obvious way."""
    if "$and" in condition:
        return all(naive_matches(c, fact) for c in condition["$and"])
    if "$or" in condition:
        return any(naive_matches(c, fact) for c in condition["$or"])
    if "$iany" in condition:
        (name, inner), = condition["$iany"].items()
        return any(item == inner["$i"] for item in fact.get(name, []))
    if "$ex" in condition:
        return next(iter(condition["$ex"])) in fact
    if "$nex" in condition:
        return next(iter(condition["$nex"])) not in fact
    for operator, test in (("$gte", lambda a, b: a >= b), ("$gt", lambda a, b: a > b),
                           ("$lte", lambda a, b: a <= b), ("$lt", lambda a, b: a < b),
                           ("$neq", lambda a, b: a != b)):
        if operator in condition:
            (name, value), = condition[operator].items()
            return name in fact and test(fact[name], value)
    (name, value), = condition.items()
    return fact.get(name) == value


def naive_run(conditions: dict, facts: list[dict]) -> int:
    fired = 0
    for patterns in conditions.values():
        if all(any(naive_matches(next(iter(p.values())), f) for f in facts) for p in patterns):
            fired += 1
    return fired


def compile_condition(condition):
    """One durable-rules condition as a Python closure: what a hand-written compiled evaluator of the
    same conditions would run (the comparison the issue asks for; durable-rules stays the engine)."""
    if "$and" in condition:
        parts = [compile_condition(c) for c in condition["$and"]]
        return lambda fact: all(part(fact) for part in parts)
    if "$or" in condition:
        parts = [compile_condition(c) for c in condition["$or"]]
        return lambda fact: any(part(fact) for part in parts)
    if "$iany" in condition:
        (name, inner), = condition["$iany"].items()
        wanted = inner["$i"]
        return lambda fact: wanted in fact.get(name, ())
    if "$ex" in condition:
        name = next(iter(condition["$ex"]))
        return lambda fact: name in fact
    if "$nex" in condition:
        name = next(iter(condition["$nex"]))
        return lambda fact: name not in fact
    for operator, test in (("$gte", lambda a, b: a >= b), ("$gt", lambda a, b: a > b),
                           ("$lte", lambda a, b: a <= b), ("$lt", lambda a, b: a < b),
                           ("$neq", lambda a, b: a != b)):
        if operator in condition:
            (name, value), = condition[operator].items()
            return lambda fact, name=name, value=value, test=test: name in fact and test(fact[name], value)
    (name, value), = condition.items()
    return lambda fact: fact.get(name) == value


def compile_closures(conditions: dict):
    """The rules as closures, indexed by the event type each pattern needs (as an engine's alpha
    network would: only rules that can match an event's type are looked at)."""
    by_type: dict = {}
    for rule_id, patterns in conditions.items():
        compiled = [compile_condition(next(iter(p.values()))) for p in patterns]
        event_type = next((c.get("type") for p in patterns for c in next(iter(p.values())).get("$and", [])
                           if isinstance(c, dict) and "type" in c), None)
        by_type.setdefault(event_type, []).append(compiled)

    def run(facts: list[dict]) -> int:
        types = {fact.get("type") for fact in facts}
        candidates = [rule for t in types | {None} for rule in by_type.get(t, ())]
        return sum(1 for rule in candidates if all(any(test(f) for f in facts) for test in rule))
    return run


def events_for(count: int, rules: int, seed: int = 7) -> list[list[dict]]:
    rng = random.Random(seed)
    batches = []
    for i in range(count):
        categories = [f"cat{rng.randrange(rules)}" for _ in range(2)]
        batches.append([
            {"id": f"customer:{i % 1000}", "kind": "customer", "orders_count": rng.randrange(6)},
            {"id": f"event:{i}", "kind": "event", "type": "order_placed", "categories": categories},
        ])
    return batches


def engine_alone(rule_counts, events_per_size) -> tuple[list[str], dict]:
    from masa.rules.engine import compile_ruleset

    lines, figures = [], {}
    for count in rule_counts:
        conditions = synthetic_conditions(count)
        ruleset = compile_ruleset(conditions)
        batches = events_for(events_per_size, count)
        started = time.perf_counter()
        fired = sum(len(ruleset.run(batch, lambda f: None)) for batch in batches)
        engine_rate = len(batches) / (time.perf_counter() - started)
        started = time.perf_counter()
        naive_fired = sum(naive_run(conditions, batch) for batch in batches)
        naive_rate = len(batches) / (time.perf_counter() - started)
        closures = compile_closures(conditions)
        started = time.perf_counter()
        closures_fired = sum(closures(batch) for batch in batches)
        closures_rate = len(batches) / (time.perf_counter() - started)
        assert fired == naive_fired == closures_fired, (fired, naive_fired, closures_fired)
        figures[f"rules_{count}"] = {"engine_events_per_s": round(engine_rate), "naive_events_per_s": round(naive_rate),
                                     "closures_events_per_s": round(closures_rate),
                                     "ratio": round(engine_rate / naive_rate, 2),
                                     "engine_to_closures": round(engine_rate / closures_rate, 2), "firings": fired}
        lines.append(f"{count:>5} rules: durable-rules {engine_rate:>9,.0f} ev/s   compiled closures "
                     f"{closures_rate:>9,.0f} ev/s ({engine_rate / closures_rate:4.2f}×)   naive loop {naive_rate:>9,.0f} "
                     f"ev/s ({engine_rate / naive_rate:5.2f}×)   ({fired} firings, same in all three)")
    return lines, figures


PACK = Path(__file__).resolve().parents[1] / "packs" / "senior-care" / "pack.yaml"
CATEGORIES = ["absorbent", "vitamins", "supplements", "walkers", "books", "skin-care"]


def store_orders(customers: int, orders: int, seed: int) -> list[list[int]]:
    """Store ``orders`` placed orders (two categories each) of ``customers`` customers, unevaluated;
    returns the event ids of each order, as the worker receives them (one task per delivery)."""
    from masa import eventstore, tasks
    from masa.events import Identity
    from masa.signals.normalize import order_events

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    deliveries: list[list[int]] = []

    def collect(event_ids, **kwargs):
        deliveries.append(list(event_ids))

    eventstore.events_stored.disconnect(dispatch_uid="masa.evaluate_stored_events")
    eventstore.events_stored.connect(collect, dispatch_uid="bench.collect", weak=False)
    try:
        for number in range(orders):
            customer = rng.randrange(customers)
            lines = [{"product_id": f"p-{c}", "product_name": c, "variant_id": "", "sku": "", "quantity": 1,
                      "total": 10.0, "category": c, "category_name": c, "parent_category": ""}
                     for c in rng.sample(CATEGORIES, 2)]
            data = {"order_id": f"o{seed}-{number}", "number": str(number), "total": 20.0, "currency": "EUR",
                    "lines": lines, "categories": [line["category"] for line in lines],
                    "products": [line["product_id"] for line in lines], "skus": []}
            identity = Identity(store_id=f"user-{customer}", email=f"c{customer}@example.com")
            eventstore.store_events("bench", order_events("order_placed", data["order_id"],
                                                          start + timedelta(minutes=number), identity, data))
    finally:
        eventstore.events_stored.disconnect(dispatch_uid="bench.collect")
        eventstore.events_stored.connect(tasks.enqueue_evaluation, dispatch_uid="masa.evaluate_stored_events")
    return deliveries


def install_pack() -> None:
    from masa.packs import load_pack_file
    from masa.packs.installer import import_pack

    import_pack(load_pack_file(PACK))


def check_evaluated(checks: Checks, events: int) -> dict:
    """The ``events`` handed to evaluation are the events stored, each evaluated, none failed, and
    the pack's rules fired on them: what was done, by the rows it left."""
    from masa.models import RuleFiring, StoreEvent

    done = {"stored": StoreEvent.objects.count(), "evaluated": StoreEvent.objects.filter(status="processed").count(),
            "failed": StoreEvent.objects.filter(status="failed").count(), "firings": RuleFiring.objects.count()}
    checks.equal("events stored", done["stored"], events, some=True)
    checks.equal("evaluated", done["evaluated"], events)
    checks.none("failed", done["failed"])
    checks.some("rule firings", done["firings"])
    return done


def end_to_end(customers: int, orders: int, runs: int, checks: Checks, batch: int = 1) -> tuple[list[str], dict]:
    """``batch`` deliveries per transaction, as masa_worker takes them (``EVALUATION_BATCH``)."""
    from masa.rules.evaluate import evaluate_events

    rates, latencies = [], []
    for run in range(runs):
        reset_tables()
        install_pack()
        deliveries = store_orders(customers, orders, seed=run)
        started = time.perf_counter()
        for start in range(0, len(deliveries), batch):
            t = time.perf_counter()
            evaluate_events([pk for ids in deliveries[start:start + batch] for pk in ids])
            latencies.append((time.perf_counter() - t) * 1000)
        events = sum(len(ids) for ids in deliveries)
        rates.append(events / (time.perf_counter() - started))
        checks.group(f"{batch} per transaction, run {run + 1}")
        check_evaluated(checks, events)
    rate = statistics.median(rates)
    target = TARGET_E2E if batch == 1 else TARGET_BATCHED
    p = percentiles(latencies)
    unit = "delivery" if batch == 1 else f"batch of {batch} deliveries"
    line = (f"senior-care pack, PostgreSQL facts, {batch} deliver{'y' if batch == 1 else 'ies'} per transaction: "
            f"{rate:,.0f} events/s per worker (median of {runs} runs; target ≥ {target:,}); per {unit} of "
            f"{events / len(deliveries) * batch:.1f} events p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms")
    return [line], {"events_per_s": round(rate), "runs": [round(r) for r in rates], "target": target,
                    "delivery_latency_ms": {k: round(v, 3) for k, v in p.items()}, "events_per_run": events}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    setup_django()
    sizes = dict(events=300, customers=50, orders=60, runs=1) if args.smoke else \
        dict(events=5000, customers=2000, orders=1500, runs=3)
    engine_lines, engine_figures = engine_alone([10, 100, 1000], sizes["events"])
    checks = Checks()
    checks.group("engine alone")
    for count, figures in engine_figures.items():
        checks.some(f"firings at {count.removeprefix('rules_')} rules (same in all three)", figures["firings"])
    e2e_lines, e2e_figures = end_to_end(sizes["customers"], sizes["orders"], sizes["runs"], checks)
    batched_lines, batched_figures = end_to_end(sizes["customers"], sizes["orders"], sizes["runs"], checks, batch=10)
    report("evaluate", engine_lines + e2e_lines + batched_lines,
           {"smoke": args.smoke, "engine_alone": engine_figures, "end_to_end": e2e_figures,
            "end_to_end_batched": batched_figures}, checks,
           headline={"events_per_s_one_delivery": e2e_figures["events_per_s"],
                     "events_per_s_10_deliveries": batched_figures["events_per_s"],
                     **{f"engine_events_per_s_{count}": figures["engine_events_per_s"]
                        for count, figures in engine_figures.items()}})


if __name__ == "__main__":
    main()
