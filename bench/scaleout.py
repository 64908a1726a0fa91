"""Scale-out: the same stored orders evaluated by 1 and by 2 worker processes on one PostgreSQL,
in the same run, on both paths: ``masa_worker``'s evaluation (``worker.evaluate_waiting`` in each
process) and Celery's (a Celery worker with ``--concurrency`` 1 and 2 over Redis, woken by one
``masa.evaluate_waiting`` task; a task that finds a full batch wakes another, which is how the
second process joins in; the worker consumes only the evaluation queue, so the sweep those tasks
wake is left out, as the embedded path leaves it out). Each claims customers with ``FOR UPDATE SKIP LOCKED``, so the figure
says how throughput grows when workers are added and checks that they never wait on each other's
locks (``pg_locks`` waits sampled while they run) and that each customer's events were evaluated
in order. The time is from the first process's start (a Celery worker: from the task's
publication, the worker already up) to the last event's commit; both paths load the rules cold.

    python -m bench.scaleout                    # 2,000 customers, 1,500 orders, both paths
    python -m bench.scaleout --path embedded    # one path only
    python -m bench.scaleout --smoke            # 50 customers, 60 orders
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import subprocess
import threading
import time

from .common import Checks, report, reset_tables, setup_django
from .evaluate import check_evaluated, install_pack, store_orders

EVALUATION_QUEUE = "masa-bench-evaluation"


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


def _evaluate_embedded(processes: int) -> int:
    """``processes`` forked processes each running ``worker.evaluate_waiting`` until nothing is left."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_drain, args=(queue,)) for _ in range(processes)]
    for process in workers:
        process.start()
    evaluated = sum(queue.get() for _ in workers)
    for process in workers:
        process.join()
    return evaluated


@contextlib.contextmanager
def celery_processes(processes: int):
    """A Celery worker of the bench site with ``processes`` processes, answering pings."""
    from example_site.celery import app

    from .site import celery_worker

    with celery_worker({"keys": []}, concurrency=processes, queues=EVALUATION_QUEUE, output=subprocess.DEVNULL):
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline:
                raise SystemExit("the Celery worker did not answer within 60 s")
        yield


def _evaluate_celery(stored: int) -> int:
    """Wake ``masa.evaluate_waiting`` once and wait until no event waits; the events evaluated."""
    from masa import tasks, wakeups
    from masa.models import StoreEvent

    wakeups.started(tasks.evaluate_waiting)
    tasks.evaluate_waiting.apply_async()
    while StoreEvent.objects.filter(status="received").exists():
        time.sleep(0.02)
    return StoreEvent.objects.filter(status__in=["processed", "failed"]).count()


def evaluate_with(path: str, processes: int, customers: int, orders: int, checks: Checks) -> dict:
    from django.db import connection
    from django.db.models import Max, Min

    from masa.models import StoreEvent

    reset_tables()
    install_pack()
    stored = sum(len(ids) for ids in store_orders(customers, orders, seed=1))
    connection.close()
    stop, waits = threading.Event(), []
    sampler = threading.Thread(target=_lock_waits, args=(stop, waits))
    with celery_processes(processes) if path == "celery" else contextlib.nullcontext():
        started = time.time()
        sampler.start()
        evaluated = _evaluate_celery(stored) if path == "celery" else _evaluate_embedded(processes)
        stop.set()
        sampler.join()
    # Until the last event was evaluated (not until the workers noticed there was nothing left):
    last = StoreEvent.objects.aggregate(last=Max("processed_at"))["last"]
    elapsed = max(last.timestamp() - started, 1e-3) if last else float("nan")
    out_of_order = 0
    rows = StoreEvent.objects.order_by("customer_id", "pk").values_list("customer_id", "processed_at")
    previous = {}
    for customer_id, processed_at in rows:
        if customer_id in previous and processed_at < previous[customer_id]:
            out_of_order += 1
        previous[customer_id] = processed_at
    left = StoreEvent.objects.filter(status="received").count()
    span = StoreEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    checks.group(f"{path}, {processes} process{'es' if processes > 1 else ''}")
    checks.equal("evaluated by the workers", evaluated, stored)
    check_evaluated(checks, stored)
    checks.none("left", left)
    checks.none("out of order", out_of_order)
    return {"path": path, "processes": processes, "events": evaluated, "seconds": round(elapsed, 2),
            "events_per_s": round(evaluated / elapsed), "lock_waits_seen": max(waits, default=0),
            "out_of_order": out_of_order, "left": left,
            "evaluating_seconds": round((span["last"] - span["first"]).total_seconds(), 2) if span["first"] else 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--path", choices=("both", "embedded", "celery"), default="both")
    args = parser.parse_args(argv)
    if args.smoke:
        args.customers, args.orders = 50, 60
    os.environ["MASA_BENCH_EVALUATION_QUEUE"] = EVALUATION_QUEUE  # read by bench.settings, here and in the worker
    setup_django()
    checks, lines, headline, paths = Checks(), [], {}, []
    for path in ("embedded", "celery") if args.path == "both" else (args.path,):
        runs = [evaluate_with(path, processes, args.customers, args.orders, checks) for processes in (1, 2)]
        ratio = runs[1]["events_per_s"] / max(1, runs[0]["events_per_s"])
        paths.append({"path": path, "runs": runs, "ratio": round(ratio, 2)})
        lines += [f"{path}: {run['processes']} process(es): {run['events']:,} events in {run['seconds']:.1f} s = "
                  f"{run['events_per_s']:,} events/s; lock waits seen {run['lock_waits_seen']}; out of order "
                  f"{run['out_of_order']}; left {run['left']}" for run in runs]
        lines.append(f"{path}: 2 processes / 1: {ratio:.2f}× (the machine has 2 cores, shared with PostgreSQL)")
        headline.update({f"{path}_events_per_s_1": runs[0]["events_per_s"],
                         f"{path}_events_per_s_2": runs[1]["events_per_s"], f"{path}_ratio": round(ratio, 2)})
    report("scaleout", lines, {"smoke": args.smoke, "paths": paths}, checks, headline=headline)


if __name__ == "__main__":
    main()
