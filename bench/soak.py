"""Soak with faults: signed Saleor orders at a steady rate through gunicorn, Redis and a Celery
worker, while the worker is killed (SIGKILL) and restarted and Redis is killed and restarted in
the middle. The client retries as Saleor does (10 s doubling, 5 times) and counts each kind of
failed attempt. Then everything must add up: every delivery stored once, events stored = events
evaluated, no message sent twice, nothing left behind.

Redis here is a private server on a free loopback port (the broker), so killing it touches
nothing else. The Celery deployment is a site's: a worker of two processes and Celery beat; intake
wakes the reading task, reading wakes evaluation, evaluation wakes the sweep, and beat's schedule
is the safety net for wake-ups lost with Redis. A send cut short by the SIGKILL is claimed again
after ``CLAIM_LEASE``, 30 s here. The processes' own output (the connection errors while Redis is
down, among others) goes to ``bench/results/soak-processes.log``.

With ``--worker embedded`` the same faults meet two ``masa_worker`` processes instead (one is
SIGKILLed and restarted; Redis, then only the site's cache, is killed the same way).

    python -m bench.soak                      # 40 deliveries/s (~200 store events/s) for 10 minutes
    python -m bench.soak --worker embedded --rate 40 --seconds 120
    python -m bench.soak --rate 50 --seconds 120
    python -m bench.soak --smoke              # 20 s at 20/s, for CI
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import httpx

from .common import RESULTS, Checks, report, reset_tables, setup_django
from .site import WEBHOOK_PATH, celery_beat, celery_worker, free_port, gunicorn, masa_worker, signed_orders


PROCESS_LOG = RESULTS / "soak-processes.log"


@contextlib.contextmanager
def private_redis():
    """A Redis server of our own on a free port; yields a handle that can kill and restart it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")

    class Server:
        port = free_port()
        process: subprocess.Popen | None = None

        def start(self):
            self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
            for _ in range(100):
                with contextlib.suppress(Exception):
                    import redis

                    redis.Redis(port=self.port).ping()
                    return
                time.sleep(0.05)

        def kill(self):
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.kill()


# Saleor's retries of a webhook that timed out or got a 5xx (or a 429): 5 more tries, waiting
# 10 s and doubling (its Celery task's ``countdown``), then it gives up.
SALEOR_RETRIES = (10, 20, 40, 80, 160)
TARGET_DRAIN_S = 30


async def _send(url: str, requests, rate: float) -> dict:
    """Open loop at a fixed rate, retried as Saleor retries; returns counts of answers, of each
    kind of failure seen on the way, and the deliveries lost (never answered 200)."""
    tally = {"sent": 0, "accepted": 0, "duplicate": 0, "refused": 0, "errors": 0, "events_answered": 0,
             "retries": 0, "lost": 0, "failure_kinds": {}}
    async with httpx.AsyncClient(base_url=url, timeout=20, limits=httpx.Limits(max_connections=256)) as client:
        async def attempt(body, headers) -> str | None:
            """None when answered 200; else the kind of failure (retried) or "refused: …" (not)."""
            try:
                response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
            except httpx.TimeoutException:
                return "timeout"
            except httpx.HTTPError as error:
                return type(error).__name__
            if response.status_code == 200:
                answer = response.json()
                tally[answer["status"]] += 1
                tally["events_answered"] += answer.get("events", 0)
                return None
            code = response.json().get("error", "") if "json" in response.headers.get("content-type", "") else ""
            kind = f"{response.status_code} {code}".strip()
            return kind if response.status_code >= 500 or response.status_code == 429 else f"refused: {kind}"

        async def send(body, headers):
            tally["sent"] += 1
            for wait in (0, *SALEOR_RETRIES):
                if wait:
                    tally["retries"] += 1
                    await asyncio.sleep(wait)
                failure = await attempt(body, headers)
                if failure is None:
                    return
                tally["failure_kinds"][failure] = tally["failure_kinds"].get(failure, 0) + 1
                if failure.startswith("refused"):
                    tally["refused"] += 1
                    return
            tally["lost"] += 1

        start, tasks = time.perf_counter(), []
        for index, (body, headers) in enumerate(requests):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(body, headers)))
        await asyncio.gather(*tasks)
    tally["errors"] = sum(n for kind, n in tally["failure_kinds"].items() if not kind.startswith("refused"))
    return tally


class Supervised:
    """The Celery worker as systemd keeps it (``Restart=always``, ``RestartSec=2``, as in
    deploy/systemd): started at once, started again 2 s after it exits by itself (Celery's worker
    may exit when the broker goes away), and at once after ``kill``. Each restart is a fault line."""

    def __init__(self, start, faults: list[str]):
        self._start, self._faults, self._lock = start, faults, threading.Lock()
        self._context = start()
        self._process = self._context.__enter__()
        self._stopped = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _restart(self) -> None:
        self._context.__exit__(None, None, None)
        self._context = self._start()
        self._process = self._context.__enter__()

    def _watch(self) -> None:
        while not self._stopped.wait(0.5):
            with self._lock:
                code = self._process.poll()
                if code is None:
                    continue
                self._faults.append(f"{time.strftime('%H:%M:%S')} the worker exited by itself (code {code}); "
                                    "restarted 2 s later, as systemd does")
            time.sleep(2)
            with self._lock:
                if not self._stopped.is_set():
                    self._restart()

    def kill(self) -> None:
        with self._lock:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._restart()

    def stop(self) -> None:
        self._stopped.set()
        self._watcher.join()
        with self._lock:
            self._context.__exit__(None, None, None)


def _drain(deadline_s: float) -> tuple[float, float]:
    """Seconds until every stored webhook was read and every event evaluated, and until every due
    message was sent too (-1: not within ``deadline_s``)."""
    from masa.models import InboundDelivery, ScheduledAction, StoreEvent

    started, evaluated = time.perf_counter(), -1.0
    while time.perf_counter() - started < deadline_s:
        waiting = (StoreEvent.objects.filter(status="received").count()
                   + InboundDelivery.objects.filter(status="received").count())
        if not waiting and evaluated < 0:
            evaluated = time.perf_counter() - started
        due = ScheduledAction.objects.filter(status__in=["pending", "claimed"], due_at__lte=_now()).count()
        if not waiting and not due:
            return evaluated, time.perf_counter() - started
        time.sleep(0.5)
    return evaluated, -1


def _now():
    from django.utils import timezone

    return timezone.now()


def _figures(tally: dict) -> dict:
    from django.db.models import Count

    from masa.models import Delivery, DeliveryAttempt, InboundDelivery, StoreEvent

    stored = StoreEvent.objects.filter(source="saleor")
    return {
        **tally,
        "deliveries_stored": InboundDelivery.objects.filter(status="accepted").count(),
        "events_stored": stored.count(),
        "events_evaluated": stored.filter(status="processed").count(),
        "events_failed": stored.filter(status="failed").count(),
        "events_left": stored.filter(status="received").count(),
        "events_evaluated_more_than_once": stored.filter(attempts__gt=1).count(),
        "messages": Delivery.objects.count(),
        "messages_sent_twice": DeliveryAttempt.objects.filter(ok=True).values("delivery")
        .annotate(n=Count("pk")).filter(n__gt=1).count(),
        "messages_not_sent": Delivery.objects.exclude(status="sent").count(),
    }


def run(rate: float, seconds: float, drain_s: float, path: str = "celery") -> dict:
    from masa.signals.saleor_signing import SaleorSigner

    from .e2e import _install_pack

    reset_tables()
    _install_pack()
    from masa.models import Channel

    Channel.objects.create(name="Shop email", kind="email")
    signer = SaleorSigner.generate(kid="masa-soak")
    requests = signed_orders(signer, int(rate * seconds), customers=5000, run_tag=uuid.uuid4().hex[:8])
    faults: list[str] = []
    RESULTS.mkdir(exist_ok=True)
    with private_redis() as redis_server, open(PROCESS_LOG, "w") as output:
        broker = f"redis://127.0.0.1:{redis_server.port}/0"
        options = {"CELERY_BROKER_URL": broker, "MASA_BENCH_CLAIM_LEASE": "30s", "output": output,
                   **({"MASA_BENCH_WORKER": "embedded"} if path == "embedded" else {})}
        with gunicorn(signer.jwks, workers=2, threads=8, **options) as url, tempfile.TemporaryDirectory() as beat_dir, \
                (celery_beat(signer.jwks, beat_dir, **options) if path == "celery" else contextlib.nullcontext()):
            if path == "celery":
                worker = Supervised(lambda: celery_worker(signer.jwks, concurrency=2, **options), faults)
            else:  # two masa_worker processes, as masa-worker@1 and @2; the one killed is restarted
                spare = masa_worker(signer.jwks, **options)
                spare.__enter__()
                worker = Supervised(lambda: masa_worker(signer.jwks, **options), faults)

            def inject():
                time.sleep(seconds * 0.4)
                worker.kill()
                faults.append(f"{time.strftime('%H:%M:%S')} worker killed (SIGKILL) and restarted")
                time.sleep(seconds * 0.2)
                redis_server.kill()
                faults.append(f"{time.strftime('%H:%M:%S')} Redis killed; restarted 5 s later, empty")
                time.sleep(5)
                redis_server.start()

            injector = threading.Thread(target=inject)
            started = time.perf_counter()
            injector.start()
            tally = asyncio.run(_send(url, requests, rate))
            send_seconds = time.perf_counter() - started
            injector.join()
            evaluated_seconds, drain_seconds = _drain(drain_s)
            worker.stop()
            if path == "embedded":
                spare.__exit__(None, None, None)
    figures = _figures(tally)
    figures.update(path=path, rate=rate, seconds=seconds, send_seconds=round(send_seconds, 1),
                   evaluated_seconds=round(evaluated_seconds, 1), drain_seconds=round(drain_seconds, 1), faults=faults)
    return figures


def check(figures: dict) -> Checks:
    """The property: after Saleor's retries nothing is lost and nothing is done twice. Failed
    attempts on the way (a loaded machine, the faults) are reported by kind, not a failure."""
    checks = Checks()
    checks.group("deliveries")
    checks.some("sent", figures["sent"])
    checks.none("refused", figures["refused"])
    checks.none("lost", figures["lost"])
    checks.equal("stored (sent − refused)", figures["deliveries_stored"], figures["sent"] - figures["refused"])
    checks.group("events")
    if not figures["retries"]:  # a retry answered "duplicate" announces no events
        checks.equal("answered", figures["events_answered"], figures["events_stored"])
    checks.some("stored", figures["events_stored"])
    checks.equal("evaluated", figures["events_evaluated"], figures["events_stored"])
    checks.none("failed", figures["events_failed"])
    checks.none("left", figures["events_left"])
    checks.group("messages")
    checks.some("sent", figures["messages"] - figures["messages_not_sent"])  # else "none twice" says nothing
    checks.none("sent twice", figures["messages_sent_twice"])
    checks.none("not sent", figures["messages_not_sent"])
    checks.true("every event evaluated", figures["evaluated_seconds"] >= 0)
    checks.true("drained", figures["drain_seconds"] >= 0)
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rate", type=float, default=40, help="deliveries per second (about 5 store events each)")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--drain", type=float, default=3600, help="longest wait for the backlog to drain")
    parser.add_argument("--worker", choices=("celery", "embedded"), default="celery",
                        help="celery: a worker of two processes and beat (default); embedded: two masa_worker processes")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rate, args.seconds, args.drain = 20, 20, 300
    setup_django("masa_soak")
    figures = run(args.rate, args.seconds, args.drain, args.worker)
    checks = check(figures)
    report("soak", [
        f"{figures['path']}: {figures['rate']:.0f} deliveries/s for {figures['seconds']:.0f} s with faults: " + "; ".join(figures["faults"]),
        f"  deliveries sent {figures['sent']}  accepted {figures['accepted']}  duplicate {figures['duplicate']}  "
        f"refused {figures['refused']}  lost {figures['lost']}  stored {figures['deliveries_stored']}",
        f"  failed attempts {figures['errors']} ({', '.join(f'{k}: {n}' for k, n in sorted(figures['failure_kinds'].items())) or 'none'}), "
        f"retried as Saleor does: {figures['retries']}",
        f"  events answered {figures['events_answered']}  stored {figures['events_stored']}  evaluated "
        f"{figures['events_evaluated']}  failed {figures['events_failed']}  left {figures['events_left']}  "
        f"evaluated more than once {figures['events_evaluated_more_than_once']}",
        f"  messages {figures['messages']}  sent twice {figures['messages_sent_twice']}  not sent "
        f"{figures['messages_not_sent']}",
        f"  after the last request: every event evaluated in {figures['evaluated_seconds']} s (target ≤ {TARGET_DRAIN_S} s), "
        f"every due message sent in {figures['drain_seconds']} s",
    ], {**figures, "smoke": args.smoke}, checks,
           headline={"deliveries_stored": figures["deliveries_stored"], "events_evaluated": figures["events_evaluated"]})


if __name__ == "__main__":
    main()
