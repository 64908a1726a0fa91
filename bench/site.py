"""The example site under production-like processes for the HTTP benchmarks: gunicorn, Celery
workers and beat or ``masa_worker``, and realistic signed Saleor order deliveries to post to it."""
from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .common import ROOT

STORE_DOMAIN = "bench.saleor.local"
API_URL = "http://bench.saleor.local/graphql/"
WEBHOOK_PATH = "/masa/webhooks/saleor/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(jwks: dict, **extra: str) -> dict:
    """Environment for a gunicorn or Celery process of the bench site (bench.settings)."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # A PYTHONPATH already set comes first: bench.compare runs a ref's ``masa`` through it.
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT), str(ROOT / "example")])),
        "MASA_DB": "postgres",
        "MASA_BENCH_JWKS": json.dumps(jwks),
        **extra,
    })
    return env


@contextlib.contextmanager
def gunicorn(jwks: dict, workers: int, threads: int = 1, output=None, **env: str):
    """Serve the example site with gunicorn on a free loopback port; yields the base URL.

    More than one thread selects the ``gthread`` worker, which keeps idle keep-alive connections
    out of the way; sync workers suit a closed-loop client with few connections."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "example_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--backlog", "2048",
               "--worker-class", "gthread" if threads > 1 else "sync",
               "--log-level", "warning", "--timeout", "60"]
    process = subprocess.Popen(command, env=process_env(jwks, **env), cwd=ROOT, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def _running(command: list[str], cwd, env: dict, stdout, stderr):
    """A process of the example site for the length of the block; terminated (killed after 30 s) at its end."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def celery_worker(jwks: dict, concurrency: int, output=None, queues: str = "", **env: str):
    """A Celery worker of the example site consuming the bench broker (its output to ``output``),
    from ``queues`` (comma-separated) when given, else the default queue."""
    command = [sys.executable, "-m", "celery", "--quiet", "-A", "example_site", "worker", "--loglevel", "warning",
               "--concurrency", str(concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle",
               *(["--queues", queues] if queues else [])]
    return _running(command, ROOT / "example", process_env(jwks, **env), output, output)


def celery_beat(jwks: dict, schedule_dir, output=None, **env: str):
    """Celery beat with the example site's schedule (the safety net: reading every second, the sweep,
    the outbox); its schedule file in ``schedule_dir``."""
    command = [sys.executable, "-m", "celery", "--quiet", "-A", "example_site", "beat", "--loglevel", "warning",
               "--schedule", str(Path(schedule_dir) / "beat-schedule")]
    return _running(command, ROOT / "example", process_env(jwks, **env), output, output)


def masa_worker(jwks: dict, poll: float = 0.1, output=None, **env: str):
    """``masa_worker`` without a broker (``MASA_BENCH_WORKER=embedded``): reads stored webhooks and
    evaluates waiting events in batches of ``EVALUATION_BATCH``, as a site without Celery runs it."""
    command = [sys.executable, "example/manage.py", "masa_worker", "--poll", str(poll)]
    return _running(command, ROOT, process_env(jwks, **{**env, "MASA_BENCH_WORKER": "embedded"}), subprocess.DEVNULL,
                    output)


def reader(jwks: dict, every: float = 0.2, output=None, **env: str):
    """``masa_sweep --loop``: reads the webhooks intake stored (as the ``masa.read_inbound`` beat
    task would), evaluates events stranded by a lost broker, sends due actions."""
    command = [sys.executable, "example/manage.py", "masa_sweep", "--loop", str(every)]
    return _running(command, ROOT, process_env(jwks, **env), subprocess.DEVNULL, output)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            httpx.get(f"{url}{WEBHOOK_PATH}", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {timeout:.0f} s")


PRODUCTS = [
    ("UHJvZHVjdDox", "Absorbent pads, 30 pack", "absorbent", 39.0),
    ("UHJvZHVjdDoy", "Vitamin D3, 90 tablets", "vitamins", 24.0),
    ("UHJvZHVjdDoz", "Folding walker with seat", "walkers", 189.0),
    ("UHJvZHVjdDo0", "Omega-3 capsules", "supplements", 59.0),
    ("UHJvZHVjdDo1", "Large-print crosswords", "books", 35.0),
    ("UHJvZHVjdDo2", "Barrier cream", "skin-care", 29.0),
]


def order_delivery(number: int, customer: int, rng: random.Random, run_tag: str) -> dict:
    """A realistic ORDER_CREATED payload: one to three lines, each with product, variant and category."""
    from demo_store.catalogue import order_created, order_line

    lines = [order_line(f"line-{run_tag}-{number}-{index}", f"sku-{category}", product_id, name, category, price,
                        rng.randint(1, 3))
             for index, (product_id, name, category, price) in enumerate(rng.sample(PRODUCTS, rng.randint(1, 3)))]
    user = {"id": f"VXNlcjpi{customer}", "email": f"customer{customer}@bench.example.com", "privateMetadata": []}
    return order_created(f"T3JkZXI6{run_tag}-{number}", number, user, lines)


def signed_orders(signer, count: int, customers: int, run_tag: str, seed: int = 1) -> list[tuple[bytes, dict]]:
    """``count`` distinct orders as (body, headers), signed like Saleor signs them."""
    rng = random.Random(seed)
    requests = []
    for number in range(count):
        body = json.dumps(order_delivery(number, rng.randrange(customers), rng, run_tag)).encode()
        requests.append((body, signer.headers("order_created", body, STORE_DOMAIN, API_URL)))
    return requests
