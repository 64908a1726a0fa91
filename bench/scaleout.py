"""Scale-out: the same stored orders evaluated by 1 and by 2 worker processes (``masa_worker``'s
evaluation, ``worker.evaluate_waiting``) on one PostgreSQL, in the same run. Each worker claims customers with ``FOR UPDATE SKIP LOCKED``, so the
figure says how throughput grows when workers are added and checks that they never wait on each
other's locks (``pg_locks`` waits sampled while they run) and that each customer's events were
evaluated in order.

    python -m bench.scaleout            # 2,000 customers, 1,500 orders
    python -m bench.scaleout --smoke    # 50 customers, 60 orders
"""
from __future__ import annotations

import argparse
import multiprocessing
import threading
import time

from .common import Checks, report, reset_tables, setup_django
from .evaluate import check_evaluated, install_pack, store_orders


def _drain(queue) -> None:
    from django.db import connection

    from masa import worker

    connection.close()
    evaluated, idle_rounds = 0, 0
    while idle_rounds < 3:  # the other worker may still hold customers with waiting events
        done = worker.evaluate_waiting(limit=500)
        evaluated += done
        idle_rounds = 0 if done else idle_rounds + 1
        if not done:
            time.sleep(0.05)
    connection.close()
    queue.put(evaluated)


def _lock_waits(stop: threading.Event, seen: list[int]) -> None:
    from django.db import connection

    while not stop.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            seen.append(cursor.fetchone()[0])
        time.sleep(0.05)
    connection.close()


def evaluate_with(processes: int, customers: int, orders: int, checks: Checks) -> dict:
    from django.db import connection
    from django.db.models import Max, Min

    from masa.models import StoreEvent

    reset_tables()
    install_pack()
    stored = sum(len(ids) for ids in store_orders(customers, orders, seed=1))
    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    stop, waits = threading.Event(), []
    sampler = threading.Thread(target=_lock_waits, args=(stop, waits))
    started = time.perf_counter()
    sampler.start()
    workers = [context.Process(target=_drain, args=(queue,)) for _ in range(processes)]
    for process in workers:
        process.start()
    evaluated = sum(queue.get() for _ in workers)
    for process in workers:
        process.join()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    out_of_order = 0
    rows = StoreEvent.objects.order_by("customer_id", "pk").values_list("customer_id", "processed_at")
    previous = {}
    for customer_id, processed_at in rows:
        if customer_id in previous and processed_at < previous[customer_id]:
            out_of_order += 1
        previous[customer_id] = processed_at
    left = StoreEvent.objects.filter(status="received").count()
    span = StoreEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    checks.group(f"{processes} worker{'s' if processes > 1 else ''}")
    checks.equal("evaluated by the workers", evaluated, stored)
    check_evaluated(checks, stored)
    checks.none("left", left)
    checks.none("out of order", out_of_order)
    return {"processes": processes, "events": evaluated, "seconds": round(elapsed, 2),
            "events_per_s": round(evaluated / elapsed), "lock_waits_seen": max(waits, default=0),
            "out_of_order": out_of_order, "left": left,
            "evaluating_seconds": round((span["last"] - span["first"]).total_seconds(), 2) if span["first"] else 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=1500)
    args = parser.parse_args(argv)
    if args.smoke:
        args.customers, args.orders = 50, 60
    setup_django()
    checks = Checks()
    runs = [evaluate_with(processes, args.customers, args.orders, checks) for processes in (1, 2)]
    ratio = runs[1]["events_per_s"] / max(1, runs[0]["events_per_s"])
    lines = [f"{run['processes']} worker process(es): {run['events']:,} events in {run['seconds']:.1f} s = "
             f"{run['events_per_s']:,} events/s; lock waits seen {run['lock_waits_seen']}; out of order "
             f"{run['out_of_order']}; left {run['left']}" for run in runs]
    lines.append(f"2 workers / 1 worker: {ratio:.2f}× (the machine has 2 cores, shared with PostgreSQL)")
    report("scaleout", lines, {"smoke": args.smoke, "runs": runs, "ratio": round(ratio, 2)}, checks,
           headline={"events_per_s_1_worker": runs[0]["events_per_s"], "events_per_s_2_workers": runs[1]["events_per_s"],
                     "ratio": round(ratio, 2)})


if __name__ == "__main__":
    main()
