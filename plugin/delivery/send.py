"""Hand a Delivery to its channel: one DeliveryAttempt per try (as Saleor's EventDeliveryAttempt),
the channel's health and circuit breaker, and ``message_sent`` once it went.

Transient failures (network, timeouts, 429, 5xx) are retried by the action stage with backoff;
after ``SEND_MAX_ATTEMPTS`` the Delivery is ``dead``. A channel failing ``CIRCUIT_FAILURES``
times in a row opens its circuit for ``CIRCUIT_OPEN_SECONDS``: due sends wait, then one probes it.
"""
from __future__ import annotations

import time
from datetime import timedelta

from django.db.models import F

from .. import conf, rehearsal, tracking
from ..channels import OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError, backend_for
from ..eventstore import record_message_event
from ..models import Channel, Delivery, DeliveryAttempt, ScheduledAction
from ..rendering import TemplateError
from ..saleor import actions as saleor_actions
from .outcome import DEFERRED, DONE, FAILED, RETRY, Outcome
from .prepare import prepare_delivery


def circuit_open(channel: Channel, now) -> Outcome | None:
    if channel.circuit_open_until and channel.circuit_open_until > now:
        return Outcome(DEFERRED, f"channel {channel.name!r} is failing ({channel.consecutive_failures} errors in a row)",
                       until=channel.circuit_open_until)
    return None


def deliver(action: ScheduledAction, channel: Channel, now) -> Outcome:
    """Prepare the action's Delivery (once) and send it unless it was sent already."""
    try:
        delivery = prepare_delivery(action, channel, now)
    except (TemplateError, saleor_actions.ActionRefused) as error:
        return Outcome(FAILED, str(error))
    except saleor_actions.ActionUnavailable as error:
        return Outcome(RETRY, str(error))
    if delivery.status in Delivery.SENT_STATUSES:
        return Outcome(DONE)
    return _send(action, delivery, channel, now)


def _send(action: ScheduledAction, delivery: Delivery, channel: Channel, now) -> Outcome:
    started = time.monotonic()
    attempt = DeliveryAttempt(delivery=delivery, started_at=now)
    headers = tracking.list_unsubscribe_headers(delivery.idempotency_key) if action.is_marketing_send else {}
    message = OutgoingMessage(to=delivery.to, subject=delivery.subject, body=delivery.body,
                              html_body=delivery.html_body, headers=headers, key=delivery.idempotency_key)
    try:
        result = SendResult(response=rehearsal.NOT_SENT) if rehearsal.active() else backend_for(channel).send(message)
    except TransientChannelError as error:
        _record_attempt(attempt, started, ok=False, response=str(error))
        _channel_failed(channel, now, str(error))
        if action.attempts + 1 >= conf.get("SEND_MAX_ATTEMPTS"):  # the action stage gives up at the same count
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DEAD, error=str(error))
        return Outcome(RETRY, str(error), tried=True)
    except PermanentChannelError as error:
        _record_attempt(attempt, started, ok=False, response=str(error))
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=str(error))
        Channel.objects.filter(pk=channel.pk).update(last_error_at=now, last_error=str(error))
        return Outcome(FAILED, str(error), tried=True)
    _record_attempt(attempt, started, ok=True, response=result.response)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=now, provider_message_id=result.provider_message_id, error=""
    )
    if action.kind == "send":
        record_message_event(delivery, "message_sent", f"message_sent:{delivery.idempotency_key}", at=now,
                             channel=channel.kind, **{"class": action.params.get("class", "marketing")})
    Channel.objects.filter(pk=channel.pk).update(last_success_at=now, consecutive_failures=0, circuit_open_until=None)
    return Outcome(DONE, tried=True)


def _record_attempt(attempt: DeliveryAttempt, started: float, ok: bool, response: str) -> None:
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.ok, attempt.response = ok, response[:2000]
    attempt.save()


def _channel_failed(channel: Channel, now, error: str) -> None:
    """Count a transient failure; at CIRCUIT_FAILURES in a row the circuit opens (again)."""
    Channel.objects.filter(pk=channel.pk).update(
        last_error_at=now, last_error=error, consecutive_failures=F("consecutive_failures") + 1)
    Channel.objects.filter(pk=channel.pk, consecutive_failures__gte=conf.get("CIRCUIT_FAILURES")).update(
        circuit_open_until=now + timedelta(seconds=conf.get("CIRCUIT_OPEN_SECONDS")))
