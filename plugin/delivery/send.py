"""Hand a Delivery to its channel: one DeliveryAttempt per try (as Saleor's EventDeliveryAttempt),
the channel's health and circuit breaker, and ``message_sent`` once it went.

Transient failures (network, timeouts, 429, 5xx) are retried by the action stage with backoff;
after ``SEND_MAX_ATTEMPTS`` the Delivery is ``dead``. A channel failing ``CIRCUIT_FAILURES``
times in a row opens its circuit for ``CIRCUIT_OPEN_FOR``: due sends wait, then one probes it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F

from .. import conf, metrics, rehearsal, tracking, whatsapp_cloud
from ..channels import OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from ..eventstore import record_message_event
from ..models import Channel, Delivery, DeliveryAttempt, ScheduledAction
from ..rendering import TemplateError
from ..saleor import actions as saleor_actions
from .prepare import prepare_delivery
from .route import Route


@dataclass(frozen=True)
class Report:
    """What delivering a message came to; the action stage decides what it means for the action."""

    sent: bool                # handed to the channel, now or before
    error: str = ""           # not sent: why
    transient: bool = False   # not sent, and worth trying again later
    tried: bool = False       # the channel was called


def deliver(action: ScheduledAction, route: Route, now) -> Report:
    """Prepare the action's Delivery (once) and send it through the route's channel unless it was
    sent already. The caller has checked the channel's circuit (``Route.circuit_open_until``).
    Every outcome but "sent before" is counted (``masa_sends_total``)."""
    try:
        delivery = prepare_delivery(action, route, now)
    except (TemplateError, saleor_actions.ActionRefused) as error:
        report = Report(False, str(error))
    except saleor_actions.ActionUnavailable as error:
        report = Report(False, str(error), transient=True)
    else:
        if delivery.status in Delivery.SENT_STATUSES:
            return Report(True)
        report = _send(action, delivery, route, now)
    metrics.send_reported(route.channel.kind, report.sent, report.transient)
    return report


def _send(action: ScheduledAction, delivery: Delivery, route: Route, now) -> Report:
    channel = route.channel
    started = time.monotonic()
    attempt = DeliveryAttempt(delivery=delivery, started_at=now)
    headers = tracking.list_unsubscribe_headers(delivery.idempotency_key) if action.is_marketing_send else {}
    message = OutgoingMessage(to=delivery.to, subject=delivery.subject, body=delivery.body,
                              html_body=delivery.html_body, headers=headers, key=delivery.idempotency_key,
                              provider_template=delivery.provider_template or None,
                              window_open=whatsapp_cloud.window_open(delivery.customer.whatsapp_wrote_at, now))
    try:
        result = SendResult(response=rehearsal.NOT_SENT) if rehearsal.active() else route.sender().send(message)
    except TransientChannelError as error:
        _record_attempt(attempt, started, ok=False, response=str(error))
        _channel_failed(channel, now, str(error))
        if action.attempts + 1 >= conf.get("SEND_MAX_ATTEMPTS"):  # the action stage gives up at the same count
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DEAD, error=str(error))
        return Report(False, str(error), transient=True, tried=True)
    except PermanentChannelError as error:
        _record_attempt(attempt, started, ok=False, response=str(error))
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=str(error))
        Channel.objects.filter(pk=channel.pk).update(last_error_at=now, last_error=str(error))
        return Report(False, str(error), tried=True)
    _record_attempt(attempt, started, ok=True, response=result.response)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=now, provider_message_id=result.provider_message_id, error=""
    )
    if action.kind == "send":
        record_message_event(delivery, "message_sent", f"message_sent:{delivery.idempotency_key}", at=now,
                             channel=channel.kind, **{"class": action.params.get("class", "marketing")})
    Channel.objects.filter(pk=channel.pk).update(last_success_at=now, consecutive_failures=0, circuit_open_until=None)
    return Report(True, tried=True)


def _record_attempt(attempt: DeliveryAttempt, started: float, ok: bool, response: str) -> None:
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.ok, attempt.response = ok, response[:2000]
    attempt.save()


def _channel_failed(channel: Channel, now, error: str) -> None:
    """Count a transient failure; at CIRCUIT_FAILURES in a row the circuit opens (again)."""
    Channel.objects.filter(pk=channel.pk).update(
        last_error_at=now, last_error=error, consecutive_failures=F("consecutive_failures") + 1)
    Channel.objects.filter(pk=channel.pk, consecutive_failures__gte=conf.get("CIRCUIT_FAILURES")).update(
        circuit_open_until=now + timedelta(seconds=conf.seconds("CIRCUIT_OPEN_FOR")))
