"""The first-run check: what a new site still lacks for journeys to run (``manage.py check`` and
the Journeys panel on the Wagtail home page say the same).

What is missing (a store, a channel, a worker, PUBLIC_URL) is said where it helps — ``manage.py
check`` and the panel — and not by the other commands Django runs the checks for (``migrate``,
``runserver``, ``masa_worker`` …): a worker starting would otherwise warn that no worker runs.
The settings errors are raised wherever Django runs the checks."""
from __future__ import annotations

import sys
from datetime import timedelta

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf, consent
from .models import Channel, MessageTemplate, SaleorApp, WorkerHeartbeat

WORKER_SILENT_AFTER = timedelta(minutes=10)
# SECRET_KEYs written in this repository (the example site's former default): anyone can sign with them.
PUBLISHED_SECRET_KEYS = {"masa-example-not-secret"}


def weak_secret(key) -> bool:
    """Published, or weak by Django's own rule (security.W009): Django's ``django-insecure-``
    prefix, shorter than 50 characters, or fewer than 5 different ones."""
    key = key.decode(errors="replace") if isinstance(key, bytes) else str(key or "")
    return (key in PUBLISHED_SECRET_KEYS or key.startswith("django-insecure-") or len(key) < 50
            or len(set(key)) < 5)


def secret_problems() -> list[tuple[str, str, str]]:
    """(id, problem, what to set) for a signing key anyone may know on a site with DEBUG off: it
    signs Masa's tracking and opt-in links, and stored Saleor tokens are encrypted with a key
    derived from it unless MASA['TOKEN_ENCRYPTION_KEYS'] is set."""
    if settings.DEBUG:
        return []
    problems = []
    if weak_secret(settings.SECRET_KEY):
        problems.append(("masa.E002", _(
            "SECRET_KEY is a published or weak key and DEBUG is off: anyone who knows it can forge Masa's "
            "tracking and opt-in links, and without MASA['TOKEN_ENCRYPTION_KEYS'] the stored Saleor tokens "
            "are encrypted with a key derived from it."), _(
            "Set SECRET_KEY (the example site reads DJANGO_SECRET_KEY) to a new random value of 50 characters "
            "or more, e.g. from django.core.management.utils.get_random_secret_key(), kept out of the "
            "repository; and set MASA['TOKEN_ENCRYPTION_KEYS'] to [a key from Fernet.generate_key()].")))
    if any(weak_secret(key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", None) or []):
        problems.append(("masa.E003", _(
            "SECRET_KEY_FALLBACKS holds a published or weak key: links signed with it are still accepted."), _(
            "Remove that key from SECRET_KEY_FALLBACKS.")))
    return problems


def missing() -> list[tuple[str, str, str]]:
    """(id, what is missing, what to do) for each thing a working setup needs and this one lacks."""
    problems = secret_problems()
    try:
        if not conf.get("SALEOR_STORES") and not SaleorApp.objects.filter(status=SaleorApp.Status.INSTALLED).exists():
            problems.append(("masa.W001", "No Saleor store is connected.",
                             "Install Masa from the Saleor dashboard (Journeys → Saleor stores) or add one to "
                             "MASA['SALEOR_STORES'] (in-process stores send masa.signals instead)."))
        if not Channel.objects.filter(enabled=True).exists():
            problems.append(("masa.W002", "No channel is set up, so no message can go out.",
                             "Add one under Journeys → Channels (an email channel uses the site's EMAIL_BACKEND)."))
        if last_worker() is None:
            problems.append(("masa.W003", _(
                "No worker has run in the last 10 minutes (masa_worker, masa_sweep or Celery beat's sweep): "
                "nothing that is due is sent, and stored webhooks wait unread."), _(
                "Run `python manage.py masa_worker` (no broker needed), or `python manage.py masa_sweep --loop 5`, "
                "or a Celery worker and beat with masa.sweep_due_actions in CELERY_BEAT_SCHEDULE.")))
        if not conf.get("PUBLIC_URL"):
            needing = _templates_needing_links()
            sends = (f" Templates {', '.join(needing)} write one: their sends fail, and they are refused when "
                     f"saved or imported." if needing else "")
            problems.append(("masa.W004", "MASA['PUBLIC_URL'] is not set: messages go out without tracking, "
                                          f"unsubscribe and view-in-browser links.{sends}",
                             "Set it to the address customers reach this site at, e.g. https://cms.example.com."))
    except DatabaseError:
        return secret_problems()  # not migrated yet: `migrate` runs the checks before the tables exist
    return problems


def last_worker() -> WorkerHeartbeat | None:
    """The latest heartbeat of any worker (masa_worker, masa_sweep, Celery's sweep) if it is recent."""
    return WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - WORKER_SILENT_AFTER).order_by("-seen_at").first()


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
    from .saleor.installation import token_key_errors

    errors = []
    try:
        quiet_period()
    except (ImproperlyConfigured, ValueError) as error:
        errors.append(checks.Error(str(error), hint=f"Set MASA['CART_ABANDONED_AFTER'] to {MINIMUM_QUIET} or more "
                                                    "(e.g. \"1h\", the default).", id="masa.E001"))
    for problem in consent.setting_problems():
        errors.append(checks.Error(problem, hint="See README, \"Consent, double opt-in and deletion with Saleor\".",
                                   id="masa.E005"))
    for name in token_key_errors():
        errors.append(checks.Error(f"MASA['{name}'] is not a Fernet key: Saleor tokens can be neither stored "
                                   "nor read.", hint="Use keys made by cryptography.fernet.Fernet.generate_key() "
                                                     "(32 url-safe base64-encoded bytes).", id="masa.E004"))
    return errors


def first_run(app_configs=None, **kwargs):
    """``manage.py check``: the settings errors, and what is missing as warnings (a published or
    weak SECRET_KEY is an error of ``check --deploy``, below, and of the Journeys panel). Other
    management commands get the errors only."""
    if another_command_is_running():
        return settings_errors()
    return [*settings_errors(), *(checks.Warning(message, hint=hint, id=check_id)
                                  for check_id, message, hint in missing() if not check_id.startswith("masa.E"))]


def another_command_is_running() -> bool:
    """Whether the checks run for a management command other than ``check`` (Django runs them
    before most commands): the nearest command object up the call stack says which."""
    from django.core.management.base import BaseCommand
    from django.core.management.commands.check import Command as Check

    frame = sys._getframe(1)
    while frame is not None:
        command = frame.f_locals.get("self")
        if isinstance(command, BaseCommand):
            return not isinstance(command, Check)
        frame = frame.f_back
    return False


@checks.register("masa", deploy=True)
def deploy(app_configs=None, **kwargs):
    """``manage.py check --deploy``: a signing key anyone may know, with DEBUG off, is an error."""
    return [checks.Error(message, hint=hint, id=check_id) for check_id, message, hint in secret_problems()]
