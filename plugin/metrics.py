"""Prometheus metrics (the optional extra: ``pip install "masa[metrics]"``).

Counters are counted where things happen, in memory, never with a query: webhooks stored and
refused (``signals``), sends and what became of due actions (``delivery``, ``actions``), and how
long evaluation takes (``rules``). Without ``prometheus_client`` they count nothing and Masa runs
as before.

The backlog is read when Prometheus scrapes ``/masa/metrics/`` (``Backlog``): a handful of
queries, each over a partial index of what is waiting, counted up to ``CAP`` rows, so a scrape
costs the same however long the tables grow. The endpoint is served only when
``MASA["METRICS_TOKEN"]`` is set, to a request bearing that token.

With several processes (gunicorn workers, Celery), set ``PROMETHEUS_MULTIPROC_DIR`` before they
start: each writes its counters there and the endpoint adds them up (``MultiProcessCollector``).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import threading
import time
from contextlib import contextmanager

from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import conf
from .models import Channel, InboundDelivery, ScheduledAction, StoreEvent, WorkerHeartbeat

try:
    import prometheus_client
    from prometheus_client.core import GaugeMetricFamily
except ImportError:  # the "metrics" extra is not installed: count nothing
    prometheus_client = GaugeMetricFamily = None

INSTALL = 'Metrics need the prometheus-client package: pip install "masa[metrics]".'
CAP = 10_000  # backlog counts stop here (a count reads at most CAP + 1 index entries)
CHANNELS_SHOWN = 200
# A label value is a short code (``bad_signature``, ``email``); anything else counts as OTHER, and
# so does every value after the first LABEL_VALUES_KEPT of one label in a process: a counter's
# series stay few whatever a caller hands it (a code made from input, a kind a pack invents).
LABEL_VALUE = re.compile(r"[a-z][a-z0-9_.-]{0,47}")
LABEL_VALUES_KEPT = 64
OTHER = "other"
_kept: dict[str, set[str]] = {}
_keeping = threading.Lock()


class _Uncounted:
    """What a metric is without prometheus_client: it takes every call and keeps nothing."""

    def labels(self, *args, **kwargs):
        return self

    def inc(self, amount=1):
        pass

    def observe(self, amount):
        pass


def _metric(kind: str, name: str, documentation: str, labelnames=(), **kwargs):
    if prometheus_client is None:
        return _Uncounted()
    return getattr(prometheus_client, kind)(name, documentation, labelnames, **kwargs)


WEBHOOKS_RECEIVED = _metric(
    "Counter", "masa_webhooks_received", "Verified webhooks, by source (saleor, whatsapp, sms) and whether they "
    "were stored or a duplicate of one stored before", ["source", "outcome"])
WEBHOOKS_REFUSED = _metric(
    "Counter", "masa_webhooks_refused", "Requests intake refused, by source and reason code (as on the rejected "
    "inbound deliveries)", ["source", "reason"])
SENDS = _metric(
    "Counter", "masa_sends", "Messages handed to a channel, by channel kind and outcome (sent; retry: a transient "
    "failure; failed: a permanent one)", ["channel_kind", "outcome"])
ACTIONS = _metric(
    "Counter", "masa_actions", "Due actions performed, by action kind and what became of them (done, cancelled, "
    "deferred, retry, failed)", ["action_kind", "status"])
ACTIONS_CANCELLED = _metric(
    "Counter", "masa_actions_cancelled", "Due actions cancelled instead of performed, by action kind, the channel "
    "a send names and reason (rule_off, marketing_consent, marketing_paused, a guard's name, "
    "cart_not_abandoned, skipped)", ["action_kind", "channel", "reason"])
EVENTS_EVALUATED = _metric(
    "Counter", "masa_events_evaluated", "Stored events handed to evaluation, by the status it left them "
    "in (processed, ignored, failed)", ["status"])
EVALUATION_SECONDS = _metric(
    "Histogram", "masa_evaluation_seconds", "Seconds one evaluation (a delivery's or a worker batch's events, "
    "one transaction) took", buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def bounded(label: str, value) -> str:
    """``value`` as the label ``label`` may show it: a short code, one of at most LABEL_VALUES_KEPT
    per label in this process; else OTHER."""
    value = str(value)
    kept = _kept.setdefault(label, set())
    if value in kept:
        return value
    if not LABEL_VALUE.fullmatch(value):
        return OTHER
    with _keeping:
        if len(kept) >= LABEL_VALUES_KEPT:
            return OTHER
        kept.add(value)
    return value


def webhook_received(source: str, stored: bool) -> None:
    WEBHOOKS_RECEIVED.labels(source=bounded("source", source), outcome="stored" if stored else "duplicate").inc()


def webhook_refused(source: str, reason: str) -> None:
    WEBHOOKS_REFUSED.labels(source=bounded("source", source), reason=bounded("refused_reason", reason)).inc()


def send_reported(channel_kind: str, sent: bool, transient: bool) -> None:
    SENDS.labels(channel_kind=bounded("channel_kind", channel_kind),
                 outcome="sent" if sent else "retry" if transient else "failed").inc()


def action_finished(action_kind: str, status: str, cancel_reason: str = "", channel: str = "") -> None:
    """``cancel_reason``: a short code for a cancelled action (never the sentence it carries);
    ``channel``: what a send's step names (a channel's name or kind, or ``preferred``)."""
    action_kind = bounded("action_kind", action_kind)
    ACTIONS.labels(action_kind=action_kind, status=bounded("action_status", status)).inc()
    if cancel_reason:
        ACTIONS_CANCELLED.labels(action_kind=action_kind, channel=bounded("channel", channel) if channel else "",
                                 reason=bounded("cancel_reason", cancel_reason)).inc()


@contextmanager
def timed_evaluation():
    """Times the block as one evaluation; ``statuses`` (a list the block fills) are counted."""
    started, statuses = time.perf_counter(), []
    try:
        yield statuses
    finally:
        EVALUATION_SECONDS.observe(time.perf_counter() - started)
        for status in statuses:
            EVENTS_EVALUATED.labels(status=bounded("event_status", status)).inc()


def _age(moment, now) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


def _backlog(rows, oldest: str) -> tuple[int, object]:
    """The count (up to CAP) and oldest value of the first CAP rows of a backlog, in one query."""
    found = rows[:CAP].aggregate(count=Count("pk"), oldest=Min(oldest))
    return found["count"], found["oldest"]


class Backlog:
    """The gauges read at scrape time: what waits (stored webhooks, events, due actions), the
    channels' circuits and the last worker heartbeat. Five queries, whatever the tables hold."""

    def collect(self):
        now = timezone.now()
        unread, unread_since = _backlog(
            InboundDelivery.objects.filter(status=InboundDelivery.Status.RECEIVED).order_by("pk"), "received_at")
        waiting, waiting_since = _backlog(
            StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED).order_by("received_at"), "received_at")
        due, due_since = _backlog(ScheduledAction.objects.filter(
            status=ScheduledAction.Status.PENDING, due_at__lte=now).order_by("due_at"), "due_at")
        yield from (
            _gauge("masa_webhooks_unread", f"Stored webhooks not read yet (counted up to {CAP})", unread),
            _gauge("masa_webhooks_unread_oldest_seconds", "Age of the oldest stored webhook not read yet (0: none)",
                   _age(unread_since, now)),
            _gauge("masa_events_waiting", f"Stored events waiting to be evaluated (counted up to {CAP})", waiting),
            _gauge("masa_events_waiting_oldest_seconds", "Age of the oldest event waiting to be evaluated (0: none)",
                   _age(waiting_since, now)),
            _gauge("masa_actions_due", f"Pending actions whose time has come (counted up to {CAP})", due),
            _gauge("masa_actions_due_oldest_seconds", "How long the longest-due pending action is overdue (0: none)",
                   _age(due_since, now)),
        )
        circuits = GaugeMetricFamily("masa_channel_circuit_open", "1 while a channel's circuit breaker is open "
                                     "(no sends tried), else 0", labels=["channel", "kind"])
        for name, kind, until in Channel.objects.order_by("pk").values_list(
                "name", "kind", "circuit_open_until")[:CHANNELS_SHOWN]:
            circuits.add_metric([name, kind], 1.0 if until is not None and until > now else 0.0)
        yield circuits
        seen = WorkerHeartbeat.last_seen()
        yield _gauge("masa_worker_last_seen_seconds", "Seconds since any worker (masa_worker, masa_sweep, Celery's "
                     "sweep) last finished a round (+Inf: never)", _age(seen, now) if seen else math.inf)


def _gauge(name: str, documentation: str, value: float):
    return GaugeMetricFamily(name, documentation, value=value)


def _registry():
    """What a scrape shows: this process's counters (or, in multiprocess mode, every process's
    added up) and the backlog."""
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(Backlog())
    return registry


class _ThisProcess:
    def collect(self):
        yield from prometheus_client.REGISTRY.collect()


def _authorized(request, token: str) -> bool:
    """Whether the request bears ``token``; the digests are compared, so the time taken says
    nothing of the token's length or of how much of it a guess got right."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    digest = hashlib.sha256(given.strip().encode("utf-8", "surrogateescape")).digest()
    return scheme.lower() == "bearer" and hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest())


@csrf_exempt  # it takes no POST: a POST is answered 405, not a CSRF page
@never_cache
@require_safe
def metrics_view(request):
    """``/masa/metrics/``: 404 unless ``MASA["METRICS_TOKEN"]`` is set to a text (``conf.metrics_token``);
    401 without the bearer token, 403 with a wrong one; 501 without prometheus_client."""
    token = conf.metrics_token()
    if token is None:
        raise Http404
    if not request.headers.get("Authorization"):
        response = HttpResponse("Send Authorization: Bearer <MASA['METRICS_TOKEN']>.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="masa-metrics"'
        return response
    if not _authorized(request, token):
        return HttpResponse("Wrong token.\n", status=403, content_type="text/plain; charset=utf-8")
    if prometheus_client is None:
        return HttpResponse(INSTALL + "\n", status=501, content_type="text/plain; charset=utf-8")
    return HttpResponse(prometheus_client.generate_latest(_registry()),
                        content_type=prometheus_client.CONTENT_TYPE_LATEST)


def serve(port: int, address: str = "127.0.0.1") -> None:
    """Serve this process's counters (not the backlog: the site's endpoint shows that) on ``port``."""
    if prometheus_client is None:
        raise RuntimeError(INSTALL)
    prometheus_client.start_http_server(port, addr=address)
