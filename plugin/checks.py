"""The first-run check: what a new site still lacks for journeys to run (``manage.py check`` and
the Journeys panel on the Wagtail home page say the same)."""
from __future__ import annotations

from datetime import timedelta

from django.core import checks
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from . import conf
from .models import Channel, MessageTemplate, SaleorApp, WorkerHeartbeat

WORKER_SILENT_AFTER = timedelta(minutes=10)


def missing() -> list[tuple[str, str, str]]:
    """(id, what is missing, what to do) for each thing a working setup needs and this one lacks."""
    problems = []
    try:
        if not conf.get("SALEOR_STORES") and not SaleorApp.objects.filter(status=SaleorApp.Status.INSTALLED).exists():
            problems.append(("masa.W001", "No Saleor store is connected.",
                             "Install Masa from the Saleor dashboard (Journeys → Saleor stores) or add one to "
                             "MASA['SALEOR_STORES'] (in-process stores send masa.signals instead)."))
        if not Channel.objects.filter(enabled=True).exists():
            problems.append(("masa.W002", "No channel is set up, so no message can go out.",
                             "Add one under Journeys → Channels (an email channel uses the site's EMAIL_BACKEND)."))
        seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        if seen is None or seen < timezone.now() - WORKER_SILENT_AFTER:
            problems.append(("masa.W003", "No worker has run in the last 10 minutes: events wait unevaluated and "
                                          "nothing is sent.",
                             "Run `python manage.py masa_worker` (no broker needed), or Celery worker and beat."))
        if not conf.get("PUBLIC_URL"):
            needing = _templates_needing_links()
            sends = (f" Templates {', '.join(needing)} write one: their sends fail, and they are refused when "
                     f"saved or imported." if needing else "")
            problems.append(("masa.W004", "MASA['PUBLIC_URL'] is not set: messages go out without tracking, "
                                          f"unsubscribe and view-in-browser links.{sends}",
                             "Set it to the address customers reach this site at, e.g. https://cms.example.com."))
    except DatabaseError:
        return []  # not migrated yet: `migrate` runs the checks before the tables exist
    return problems


def _templates_needing_links(limit: int = 10) -> list[str]:
    """Keys of stored templates that write one of Masa's links (which need PUBLIC_URL)."""
    from .rendering import link_problems

    keys = []
    for template in MessageTemplate.objects.filter(
            Q(body__contains="_url") | Q(subject__contains="_url") | Q(html_body__contains="_url")).order_by("key"):
        if link_problems(subject=template.subject, body=template.body, html_body=template.html_body):
            keys.append(template.key)
    return list(dict.fromkeys(keys))[:limit]


def settings_errors() -> list[checks.Error]:
    """Settings that cannot work, found at startup instead of by failing every evaluation."""
    from django.core.exceptions import ImproperlyConfigured

    from .actions.abandonment import MINIMUM_QUIET, quiet_period

    try:
        quiet_period()
    except (ImproperlyConfigured, ValueError) as error:
        return [checks.Error(str(error), hint=f"Set MASA['CART_ABANDONED_AFTER'] to {MINIMUM_QUIET} or more "
                                               "(e.g. \"1h\", the default).", id="masa.E001")]
    return []


def first_run(app_configs=None, **kwargs):
    return [*settings_errors(), *(checks.Warning(message, hint=hint, id=check_id) for check_id, message, hint in missing())]
