"""Intake speed: signed Saleor ORDER_CREATED deliveries posted over loopback to the example site
served by gunicorn (several workers) on PostgreSQL, with Redis as the Celery broker.

Each request is verified (JWS RS256, detached payload) and stored (one INSERT of its body: an
InboundDelivery waiting to be read); no worker reads them here, so only intake is measured.
A closed-loop client keeps a fixed number of requests in flight; several concurrency levels
are run and the best rate with zero errors is "the rate that holds".

    python -m bench.intake            # full size
    python -m bench.intake --smoke    # seconds, for CI
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid

from . import loadgen
from .common import Checks, percentiles, report, reset_tables, setup_django
from .site import WEBHOOK_PATH, gunicorn, signed_orders

TARGET = 1000


async def _post_all(url: str, requests: list[tuple[bytes, dict]], concurrency: int) -> tuple[list[float], int, float, float]:
    """(latencies, errors, elapsed seconds, the client's own CPU ms per request)."""
    prepared = [loadgen.prepare(url, WEBHOOK_PATH, body, headers) for body, headers in requests]
    result = await loadgen.run(url, prepared, concurrency)
    errors = result.errors + sum(n for status, n in result.statuses.items() if status != 200)
    return result.latencies_ms, errors, result.elapsed_s, result.client_cpu_ms_per_request


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads per gunicorn worker (more than 1: the gthread worker, which keeps connections alive)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per concurrency level (median reported)")
    parser.add_argument("--concurrency", default="4,16,64")
    args = parser.parse_args(argv)
    if args.smoke:
        args.requests, args.runs, args.concurrency, args.workers = 60, 1, "4", 2
    setup_django()
    from masa.models import InboundDelivery
    from masa.signals.saleor_signing import SaleorSigner

    signer = SaleorSigner.generate(kid="masa-bench")
    levels = [int(c) for c in args.concurrency.split(",")]
    checks = Checks()
    lines, figures = [], {"smoke": args.smoke, "workers": args.workers, "threads": args.threads,
                          "target_rps": TARGET, "levels": {}}
    batches = {(c, r): signed_orders(signer, args.requests, customers=5000, run_tag=uuid.uuid4().hex[:8], seed=r)
               for c in levels for r in range(args.runs)}
    with gunicorn(signer.jwks, workers=args.workers, threads=args.threads) as url:
        asyncio.run(_post_all(url, signed_orders(signer, 50, 50, "warmup"), 4))
        for concurrency in levels:
            runs = []
            for run in range(args.runs):
                reset_tables()
                latencies, errors, elapsed, client_cpu = asyncio.run(_post_all(url, batches[concurrency, run], concurrency))
                stored = InboundDelivery.objects.filter(status="received").count()
                runs.append({"rps": len(latencies) / elapsed, "errors": errors, "stored": stored, "client_cpu_ms": client_cpu,
                             **{k: v for k, v in percentiles(latencies).items()}})
            median = {key: statistics.median(run[key] for run in runs)
                      for key in ("rps", "p50", "p95", "p99", "client_cpu_ms")}
            errors = sum(run["errors"] for run in runs)
            lost = sum(args.requests - run["errors"] - run["stored"] for run in runs)
            checks.group(f"{concurrency} in flight")
            checks.some("sent", args.requests * args.runs)
            checks.equal("stored (answered 200)", sum(run["stored"] for run in runs),
                         args.requests * args.runs - errors)
            if args.smoke:
                checks.none("errors", errors)
            figures["levels"][concurrency] = {"rps": round(median["rps"]), "errors": errors, "lost": lost,
                                              "client_cpu_ms_per_request": round(median["client_cpu_ms"], 3),
                                              "latency_ms": {k: round(median[k], 2) for k in ("p50", "p95", "p99")},
                                              "runs": [round(run["rps"]) for run in runs]}
            lines.append(f"{concurrency:>3} in flight: {median['rps']:7,.0f} req/s   p50 {median['p50']:6.1f} ms   "
                         f"p95 {median['p95']:6.1f} ms   p99 {median['p99']:6.1f} ms   errors {errors}   "
                         f"accepted but not stored {lost}   client CPU {median['client_cpu_ms']:.2f} ms/request")
    clean = [level for level in figures["levels"].values() if level["errors"] == 0 and level["lost"] == 0]
    holds = max((level["rps"] for level in clean), default=0)
    figures["holds_rps"] = holds
    lines.append(f"rate that holds without errors: {holds:,} req/s (target ≥ {TARGET:,}; "
                 f"{args.workers} gunicorn workers × {args.threads} threads, median of {args.runs} runs, "
                 f"{args.requests} orders per run)")
    report("intake", lines, figures, checks, headline={"holds_rps": holds})


if __name__ == "__main__":
    main()
