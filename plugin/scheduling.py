"""Due actions: claim them, re-check their guards, and hand sends to channels.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` so sweeps running at once never take the same
row; a claim older than the lease (a worker died) is taken again. A Delivery is unique per
action idempotency key and its rendered content is stored before the channel is called, so a
second dispatch of the same action finds it and never creates another.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import conf, dosage, tracking
from .channels import OutgoingMessage, PermanentChannelError, TransientChannelError, backend_for
from .models import Channel, Delivery, DeliveryAttempt, ScheduledAction
from .rendering import TemplateError, find_template, merge_context, render
from .rules import abandonment, awaiting
from .rules.guards import failed_guard
from .saleor import actions as saleor_actions
from .signals import feedback
from .signals.intake import store_events
from .signals.normalize import Identity, NormalizedEvent

log = logging.getLogger(__name__)
Status = ScheduledAction.Status


def claim_due(now=None, limit: int | None = None) -> list[int]:
    """Claim up to ``limit`` due actions (and stale claims) for this worker; return their ids."""
    now = now or timezone.now()
    limit = limit or conf.get("SWEEP_BATCH_SIZE")
    stale = now - timedelta(seconds=conf.get("CLAIM_LEASE_SECONDS"))
    with transaction.atomic():
        due = list(
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        room = limit - len(due)
        if room > 0:
            due += list(
                ScheduledAction.objects.select_for_update(skip_locked=True)
                .filter(status=Status.CLAIMED, claimed_at__lt=stale)
                .order_by("claimed_at")
                .values_list("pk", flat=True)[:room]
            )
        ScheduledAction.objects.filter(pk__in=due).update(status=Status.CLAIMED, claimed_at=now)
    return due


def sweep(now=None, limit: int | None = None) -> dict:
    """Claim and dispatch every due action; returns counts by outcome."""
    counts: dict[str, int] = {}
    for action_id in claim_due(now, limit):
        outcome = dispatch(action_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _finish(action: ScheduledAction, status: str, now, **fields) -> str:
    ScheduledAction.objects.filter(pk=action.pk).update(status=status, completed_at=now, **fields)
    return status


def _resolve_channel(name: str) -> Channel | None:
    """The enabled channel with this name, else the first enabled channel of this kind."""
    enabled = Channel.objects.filter(enabled=True)
    return enabled.filter(name=name).first() or enabled.filter(kind=name).order_by("pk").first()


def _recipient(action: ScheduledAction, channel: Channel) -> str:
    if action.kind == "notify_staff":
        return ", ".join(conf.get("STAFF_EMAILS"))
    return getattr(action.customer, backend_for(channel).address_field)


def _last_message(action: ScheduledAction) -> dict:
    """The latest message sent to the customer by this rule run (else by any): what an SMS
    "we sent you an email" points to."""
    sent = Delivery.objects.filter(customer=action.customer, status__in=Delivery.SENT_STATUSES).order_by("-sent_at")
    latest = sent.filter(action__firing=action.firing).first() if action.firing_id else None
    latest = latest or sent.first()
    if latest is None:
        return {"subject": "", "view_url": ""}
    return {"subject": latest.subject, "view_url": tracking.view_url(latest.idempotency_key)}


def _prepare_delivery(action: ScheduledAction, channel: Channel, now) -> Delivery:
    delivery = Delivery.objects.filter(idempotency_key=action.idempotency_key).first()
    if delivery is not None:
        return delivery
    customer = action.customer
    template = find_template(action.params["template"], customer.locale)
    context = merge_context(customer, action.event)
    context.update(tracking.message_links(action.idempotency_key))
    if "last_message" in f"{template.subject}{template.body}{template.html_body}":
        context["last_message"] = _last_message(action)
    if action.params.get("recommend"):
        context["recommendation"] = action.params["recommend"]
    if action.params.get("reward"):
        context["voucher"] = saleor_actions.issue_reward(action.params["reward"], action.idempotency_key, now)
    rendered = render(template, context)
    trusted = [context["recommendation"].get("url", "")]
    key = action.idempotency_key
    delivery, _ = Delivery.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "action": action, "channel": channel, "customer": customer, "template_key": template.key,
            "to": _recipient(action, channel), "subject": rendered.subject[:255],
            "body": tracking.decorate_text(rendered.body, key, tracking.AuthoredLinks(template.body, trusted))
            if channel.kind == Channel.Kind.SMS else rendered.body,
            "html_body": tracking.decorate_html(rendered.html_body, key,
                                                tracking.AuthoredLinks(template.html_body, trusted)),
        },
    )
    return delivery


def dispatch(action_id: int, now=None) -> str:
    """Perform one claimed action; returns what became of it (done, cancelled, retry, failed)."""
    now = now or timezone.now()
    action = ScheduledAction.objects.select_related("rule", "customer", "event").get(pk=action_id)
    if action.status != Status.CLAIMED:
        return "skipped"
    reason = failed_guard(action)
    if action.kind == abandonment.KIND:
        reason = reason or abandonment.confirmation_failure(action)
    if reason:
        return _finish(action, Status.CANCELLED, now, cancel_reason=reason)
    if action.kind in EVENT_ACTIONS:
        return _store_masa_event(action, now)
    if action.kind == awaiting.KIND:
        return awaiting.time_out(action, now)
    if action.kind == "sync_to_saleor":
        return _sync_to_saleor(action, now)
    if action.kind == "notify_staff" and not conf.get("STAFF_EMAILS"):
        return _finish(action, Status.FAILED, now, last_error="MASA['STAFF_EMAILS'] names nobody to notify")
    return _perform_send(action, now)


def _sync_to_saleor(action: ScheduledAction, now) -> str:
    try:
        written = saleor_actions.write_customer_metadata(action.customer, action.params["facts"])
    except saleor_actions.ActionRefused as error:
        return _finish(action, Status.FAILED, now, last_error=str(error))
    except saleor_actions.ActionUnavailable as error:
        return _reschedule_or_fail(action, now, str(error))
    return _finish(action, Status.DONE, now, outcome="wrote " + ", ".join(f"{k}={v}" for k, v in written.items()))


def _masa_event(action: ScheduledAction) -> tuple[str, dict]:
    if action.kind == "emit":
        return action.params["event"], {"emitted_by": action.rule.rule_id, **_order_of(action)}
    if action.kind == "effect":
        return "rule_effect", {"effect": action.params, "rule": action.rule.rule_id}
    return "cart_abandoned", {**action.event.data, "last_update_at": action.event.occurred_at.isoformat()}


def _order_of(action: ScheduledAction) -> dict:
    return {key: action.event.data[key] for key in ("order_id", "number") if key in action.event.data}


def _store_masa_event(action: ScheduledAction, now) -> str:
    """Emitted events, delayed effects and confirmed abandonments enter as Masa's own events."""
    name, data = _masa_event(action)
    customer = action.customer
    identity = Identity(store_id=customer.store_id, email=customer.email)
    store_events("masa", [NormalizedEvent(name, f"{name}:{action.idempotency_key}", now, identity, data)])
    return _finish(action, Status.DONE, now)


EVENT_ACTIONS = {"emit", "effect", abandonment.KIND}


def _perform_send(action: ScheduledAction, now) -> str:
    channel = _resolve_channel(action.params.get("channel", "email"))
    if channel is None:
        return _finish(action, Status.FAILED, now,
                       last_error=f"no enabled channel named or of kind {action.params.get('channel')!r}")
    if channel.circuit_open_until and channel.circuit_open_until > now:
        return _defer(action, channel.circuit_open_until,
                      f"channel {channel.name!r} is failing ({channel.consecutive_failures} errors in a row)")
    deferral = dosage.defer_until(action, channel, now)
    if deferral is not None:
        return _defer(action, *deferral)
    try:
        delivery = _prepare_delivery(action, channel, now)
    except (TemplateError, saleor_actions.ActionRefused) as error:
        return _finish(action, Status.FAILED, now, last_error=str(error))
    except saleor_actions.ActionUnavailable as error:
        return _reschedule_or_fail(action, now, str(error))
    if delivery.status in Delivery.SENT_STATUSES:
        return _finish(action, Status.DONE, now)
    return _send(action, delivery, channel, now)


def _send(action: ScheduledAction, delivery: Delivery, channel: Channel, now) -> str:
    started = time.monotonic()
    attempt = DeliveryAttempt(delivery=delivery, started_at=now)
    headers = tracking.list_unsubscribe_headers(delivery.idempotency_key) if action.is_marketing_send else {}
    message = OutgoingMessage(to=delivery.to, subject=delivery.subject, body=delivery.body,
                              html_body=delivery.html_body, headers=headers, key=delivery.idempotency_key)
    try:
        result = backend_for(channel).send(message)
    except TransientChannelError as error:
        return _retry_or_give_up(action, delivery, channel, attempt, started, now, str(error))
    except PermanentChannelError as error:
        _record_attempt(attempt, started, ok=False, response=str(error))
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=str(error))
        Channel.objects.filter(pk=channel.pk).update(last_error_at=now, last_error=str(error))
        return _finish(action, Status.FAILED, now, last_error=str(error), attempts=action.attempts + 1)
    _record_attempt(attempt, started, ok=True, response=result.response)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=now, provider_message_id=result.provider_message_id, error=""
    )
    if action.kind == "send":
        feedback.record(delivery, "message_sent", f"message_sent:{delivery.idempotency_key}", at=now,
                        channel=channel.kind, **{"class": action.params.get("class", "marketing")})
    Channel.objects.filter(pk=channel.pk).update(last_success_at=now, consecutive_failures=0, circuit_open_until=None)
    return _finish(action, Status.DONE, now, attempts=action.attempts + 1)


def _record_attempt(attempt: DeliveryAttempt, started: float, ok: bool, response: str) -> None:
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.ok, attempt.response = ok, response[:2000]
    attempt.save()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: base · 2^(attempts-1), randomized down to half."""
    ceiling = conf.get("SEND_RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _retry_or_give_up(action, delivery, channel, attempt, started, now, error: str) -> str:
    _record_attempt(attempt, started, ok=False, response=error)
    _channel_failed(channel, now, error)
    outcome = _reschedule_or_fail(action, now, error)
    if outcome == Status.FAILED:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DEAD, error=error)
    return outcome


def _defer(action: ScheduledAction, until, reason: str) -> str:
    ScheduledAction.objects.filter(pk=action.pk).update(
        status=Status.PENDING, claimed_at=None, due_at=until,
        outcome=f"deferred to {until:%Y-%m-%d %H:%M %Z}: {reason}",
    )
    return "deferred"


def _channel_failed(channel: Channel, now, error: str) -> None:
    """Count a transient failure; at CIRCUIT_FAILURES in a row the circuit opens (again)."""
    Channel.objects.filter(pk=channel.pk).update(
        last_error_at=now, last_error=error, consecutive_failures=F("consecutive_failures") + 1)
    Channel.objects.filter(pk=channel.pk, consecutive_failures__gte=conf.get("CIRCUIT_FAILURES")).update(
        circuit_open_until=now + timedelta(seconds=conf.get("CIRCUIT_OPEN_SECONDS")))


def _reschedule_or_fail(action: ScheduledAction, now, error: str) -> str:
    """Try the action again after a backoff, or fail it once SEND_MAX_ATTEMPTS is reached."""
    attempts = action.attempts + 1
    if attempts >= conf.get("SEND_MAX_ATTEMPTS"):
        return _finish(action, Status.FAILED, now, attempts=attempts, last_error=f"gave up after {attempts} attempts: {error}")
    ScheduledAction.objects.filter(pk=action.pk).update(
        status=Status.PENDING, attempts=attempts, last_error=error, claimed_at=None,
        due_at=now + retry_delay(attempts),
    )
    return "retry"
