"""``/masa/health/``: is Masa doing its work? For load balancers and uptime monitors.

Anyone on the internet can call it, so it says only which check fails and why in general words:
no store, address, customer, setting value or error text. Each check is one query over a small
table or a partial index (``masa_inbound_received``, ``masa_action_due``), so calling it often
costs little. The limits are ``MASA["HEALTH_LIMITS"]``, durations in words ("90s", "5m", "2h", ``durations.seconds``).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import conf
from .durations import seconds
from .models import InboundDelivery, ScheduledAction, WorkerHeartbeat

log = logging.getLogger(__name__)
LIMITS = ("worker_seen", "oldest_unread_webhook", "oldest_overdue_action")


def limits() -> dict[str, float]:
    """Each limit in seconds (a site's own setting may name only some); raises ValueError on a
    setting that is not a dict or a value that is not a duration, naming the limit (never its value)."""
    configured = conf.get("HEALTH_LIMITS")
    if configured is not None and not isinstance(configured, dict):
        raise ValueError("MASA['HEALTH_LIMITS'] is not a dict of durations")
    given = {**conf.DEFAULTS["HEALTH_LIMITS"], **(configured or {})}
    found = {}
    for name in LIMITS:
        try:
            found[name] = seconds(given[name])
        except ValueError:
            raise ValueError(f"MASA['HEALTH_LIMITS']['{name}'] is not a duration") from None
    return found


def _check(ok: bool, limit: float, age: float | None, reason: str) -> dict:
    found = {"ok": ok, "limit_seconds": int(limit)}
    if age is not None:
        found["age_seconds"] = int(age)
    if not ok:
        found["reason"] = reason
    return found


def checks(now=None) -> dict[str, dict]:
    """Each check by name: ``ok``, its limit and the age found, and a ``reason`` when it fails.
    Three queries; raises DatabaseError when the database cannot be reached. The oldest unread
    webhook is the first stored (by id, as the worker reads them: the partial index's order)."""
    now = now or timezone.now()
    limit = limits()
    seen = WorkerHeartbeat.last_seen()
    unread = (InboundDelivery.objects.filter(status=InboundDelivery.Status.RECEIVED)
              .order_by("pk").values_list("received_at", flat=True).first())
    overdue = (ScheduledAction.objects.filter(status=ScheduledAction.Status.PENDING,
                                              due_at__lte=now - timedelta(seconds=limit["oldest_overdue_action"]))
               .order_by("due_at").values_list("due_at", flat=True).first())
    seen_age = (now - seen).total_seconds() if seen else None
    unread_age = max(0.0, (now - unread).total_seconds()) if unread else None
    overdue_age = (now - overdue).total_seconds() if overdue else None
    return {
        "database": {"ok": True},
        "worker": _check(seen_age is not None and seen_age <= limit["worker_seen"], limit["worker_seen"], seen_age,
                         "no worker (masa_worker, masa_sweep or Celery beat's sweep) has finished a round within the "
                         "limit: stored webhooks are not read and due messages are not sent"),
        "unread_webhooks": _check(unread_age is None or unread_age <= limit["oldest_unread_webhook"],
                                  limit["oldest_unread_webhook"], unread_age,
                                  "a stored webhook has waited longer than the limit to be read"),
        "overdue_actions": _check(overdue is None, limit["oldest_overdue_action"], overdue_age,
                                  "a scheduled action is overdue by more than the limit"),
    }


@csrf_exempt  # it takes no POST: a POST is answered 405, not a CSRF page
@never_cache
@require_safe
def health_view(request):
    """200 ``{"status": "ok", "checks": {…}}``, or 503 ``{"status": "failing", …}`` naming the failing checks."""
    try:
        found = checks()
    except DatabaseError as error:
        log.error("Health check: the database is unreachable: %s", error)
        found = {"database": {"ok": False, "reason": "database unreachable"}}
    except ValueError as error:  # a limit is not a duration: the operator's mistake, named without its value
        found = {"settings": {"ok": False, "reason": str(error)}}
    failing = [name for name, check in found.items() if not check["ok"]]
    body = {"status": "failing" if failing else "ok", "checks": found}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
