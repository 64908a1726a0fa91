"""Benchmark settings: the example site on PostgreSQL, Redis as broker and cache, quiet logs.

The demo store's signing key is trusted through a pinned JWKS so the intake benchmark can sign
real webhooks without a key server.
"""
import os

# The example site reads its key from the environment only; the bench's processes share this one.
os.environ.setdefault("DJANGO_SECRET_KEY", "masa-bench-only-0b7e4d2c9a1f4e6b8d3c5f7a9e1b2d4c-not-for-a-site")

from example_site.settings import *  # noqa: E402,F401,F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
CELERY_TASK_ALWAYS_EAGER = os.environ.get("MASA_BENCH_EAGER", "0") == "1"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ.get("MASA_BENCH_REDIS", "redis://127.0.0.1:6379/12")}}
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# bench.scaleout's Celery path: evaluation on a queue of its own, so its workers do nothing else
# (the sweep its tasks wake goes to the default queue, which nobody consumes there).
if os.environ.get("MASA_BENCH_EVALUATION_QUEUE"):
    CELERY_TASK_ROUTES = {"masa.evaluate_waiting": {"queue": os.environ["MASA_BENCH_EVALUATION_QUEUE"]}}
MASA = {
    "SALEOR_STORES": [{
        "domain": "bench.saleor.local",
        "api_url": "http://bench.saleor.local/graphql/",
        "jwks": __import__("json").loads(os.environ.get("MASA_BENCH_JWKS", '{"keys": []}')),
    }],
    # "embedded": masa_worker reads and evaluates (bench.e2e's default); unset: Celery, as configured.
    "WORKER": os.environ.get("MASA_BENCH_WORKER") or None,
    # The load generator is one client address: the benchmarks measure intake, not the limiter.
    "RATE_LIMITS": {},
    # The soak kills a Celery worker mid-send: its claimed actions go again after this (a site: 10m).
    "CLAIM_LEASE": os.environ.get("MASA_BENCH_CLAIM_LEASE", "10m"),
}
