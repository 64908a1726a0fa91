"""End to end at a steady rate: signed Saleor orders → gunicorn → PostgreSQL → the worker reads
them → evaluation → ScheduledAction committed, with the senior-care pack installed. The worker is
one ``masa_worker`` (batches, no broker) or, with ``--worker celery``, two Celery worker processes
and Celery beat as a site deploys them (Redis as broker): intake wakes the reading task, reading
wakes the evaluating task, which claims customers as ``masa_worker`` does.

An open-loop client sends orders at a fixed rate whatever the answers; each delivery's latency is
from the moment it was sent to the moment the last of its events (order_placed, category_bought,
product_bought) was evaluated and committed (``StoreEvent.processed_at``, same clock).

    python -m bench.e2e                 # 200, 40 and 20 deliveries/s, 20 s each
    python -m bench.e2e --rates 40 --seconds 60
    python -m bench.e2e --worker celery # Celery worker and beat instead of one masa_worker
    python -m bench.e2e --smoke         # seconds, for CI
"""
from __future__ import annotations

import argparse
import contextlib
import asyncio
import tempfile
import time
import uuid

import httpx

from .common import ROOT, Checks, percentiles, report, reset_tables, setup_django
from .site import WEBHOOK_PATH, celery_beat, celery_worker, gunicorn, masa_worker, signed_orders

TARGET_P99_MS = 1000


async def _send_at_rate(url: str, requests: list[tuple[bytes, dict]], rate: float) -> tuple[dict, int]:
    """Send every request at its slot of a fixed schedule; returns order id → send time, errors."""
    sent, errors = {}, 0
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=256)) as client:
        async def send(body, headers, order_id):
            nonlocal errors
            sent[order_id] = time.time()
            try:
                response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1

        start, tasks = time.perf_counter(), []
        for index, (body, headers) in enumerate(requests):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            order_id = _order_id(body)
            tasks.append(asyncio.create_task(send(body, headers, order_id)))
        await asyncio.gather(*tasks)
    return sent, errors


def _order_id(body: bytes) -> str:
    start = body.index(b'"id": "T3JkZXI6') + 7
    return body[start:body.index(b'"', start)].decode()


def _wait_until_evaluated(expected_orders: int, deadline_s: float) -> bool:
    from masa.models import StoreEvent

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        stored = StoreEvent.objects.filter(name="order_placed").count()
        waiting = StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED).count()
        if stored >= expected_orders and waiting == 0:
            return True
        time.sleep(0.5)
    return False


def _latencies(sent: dict) -> tuple[list[float], int]:
    from django.db.models import Max

    from masa.models import StoreEvent

    done = (StoreEvent.objects.filter(status=StoreEvent.Status.PROCESSED).values("data__order_id")
            .annotate(last=Max("processed_at")))
    latencies = []
    for row in done:
        sent_at = sent.get(row["data__order_id"])
        if sent_at is not None:
            latencies.append((row["last"].timestamp() - sent_at) * 1000)
    return latencies, len(sent) - len(latencies)


def evaluating(jwks: dict, worker: str):
    """What reads and evaluates: ``embedded`` — one ``masa_worker`` (batches of deliveries per
    transaction, no broker); ``celery`` — a Celery worker of two processes and Celery beat."""
    if worker == "embedded":
        return masa_worker(jwks)
    stack = contextlib.ExitStack()
    stack.enter_context(celery_worker(jwks, concurrency=2))
    stack.enter_context(celery_beat(jwks, stack.enter_context(tempfile.TemporaryDirectory())))
    return stack


def run_at(signer, rate: float, seconds: float, drain_s: float, worker: str = "embedded") -> dict:
    from masa.models import ScheduledAction, StoreEvent

    reset_tables()
    _install_pack()
    requests = signed_orders(signer, int(rate * seconds), customers=2000, run_tag=uuid.uuid4().hex[:8])
    env = {"MASA_BENCH_WORKER": "embedded"} if worker == "embedded" else {}
    with gunicorn(signer.jwks, workers=2, threads=8, **env) as url, evaluating(signer.jwks, worker):
        time.sleep(3)
        started = time.perf_counter()
        sent, errors = asyncio.run(_send_at_rate(url, requests, rate))
        send_seconds = time.perf_counter() - started
        finished = _wait_until_evaluated(len(requests) - errors, drain_s)
        total_seconds = time.perf_counter() - started
    latencies, unfinished = _latencies(sent)
    events = StoreEvent.objects.count()
    evaluated = StoreEvent.objects.filter(status="processed").count()
    return {"rate": rate, "worker": worker, "seconds": seconds, "deliveries": len(requests), "errors": errors,
            "send_seconds": round(send_seconds, 1), "store_events": events,
            "store_events_per_s_offered": round(rate * events / max(1, len(requests) - errors), 1),
            "evaluated_per_s": round(evaluated / total_seconds, 1), "events_evaluated": evaluated,
            "events_failed": StoreEvent.objects.filter(status="failed").count(),
            "scheduled_actions": ScheduledAction.objects.count(), "drained": finished, "unfinished": unfinished,
            "latency_ms": {k: round(v, 1) for k, v in percentiles(latencies).items() if v is not None}}


def _install_pack() -> None:
    from masa.packs import load_pack_file
    from masa.packs.installer import import_pack

    import_pack(load_pack_file(ROOT / "packs" / "senior-care" / "pack.yaml"))


def _flush_broker() -> None:
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rates", default="200,40,20", help="deliveries per second, one run each")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--drain", type=float, default=600, help="longest wait for the backlog to drain")
    parser.add_argument("--worker", choices=("embedded", "celery"), default="embedded",
                        help="embedded: one masa_worker (default); celery: a Celery worker of two processes and beat")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rates, args.seconds, args.drain = "10", 3, 120
    setup_django()
    from masa.signals.saleor_signing import SaleorSigner

    signer = SaleorSigner.generate(kid="masa-bench")
    lines, figures = [], {"smoke": args.smoke, "target_p99_ms": TARGET_P99_MS, "runs": []}
    checks, headline = Checks(), {}
    for rate in (float(r) for r in args.rates.split(",")):
        _flush_broker()
        result = run_at(signer, rate, args.seconds, args.drain, args.worker)
        figures["runs"].append(result)
        check_run(checks, result, every_accepted=args.smoke)
        headline[f"p99_ms_at_{rate:g}"] = result["latency_ms"].get("p99")
        headline[f"evaluated_per_s_at_{rate:g}"] = result["evaluated_per_s"]
        p = result["latency_ms"]
        lines.append(
            f"{args.worker}: {rate:>5.0f} deliveries/s ({result['store_events_per_s_offered']:,.0f} store events/s) for "
            f"{args.seconds:.0f} s: p50 {p.get('p50', 0):,.0f} ms  p95 {p.get('p95', 0):,.0f} ms  "
            f"p99 {p.get('p99', 0):,.0f} ms  (target p99 < {TARGET_P99_MS} ms)   evaluated {result['evaluated_per_s']:,.0f}/s   "
            f"refused {result['errors']}  not evaluated {result['unfinished']}  actions {result['scheduled_actions']}")
    report("e2e", lines, figures, checks, headline)


def check_run(checks: Checks, result: dict, every_accepted: bool) -> None:
    """Every delivery accepted was evaluated (its latency measured), every event stored evaluated,
    none failed, the backlog drained; at smoke size nothing refused either."""
    accepted = result["deliveries"] - result["errors"]
    checks.group(f"{result['rate']:g}/s")
    checks.some("deliveries sent", result["deliveries"])
    if every_accepted:
        checks.none("refused", result["errors"])
    checks.equal("deliveries evaluated (of those accepted)", result["deliveries"] - result["unfinished"], accepted)
    checks.equal("events evaluated", result["events_evaluated"], result["store_events"])
    checks.some("events stored", result["store_events"])
    checks.none("events failed", result["events_failed"])
    checks.true("drained", result["drained"])


if __name__ == "__main__":
    main()
