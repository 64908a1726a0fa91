"""Hand a Delivery to its channel: one DeliveryAttempt per try (as Saleor's EventDeliveryAttempt),
the channel's health and circuit breaker, and ``message_sent`` once it went.

Transient failures (network, timeouts, 429, 5xx) are retried by the action stage with backoff;
after ``SEND_MAX_ATTEMPTS`` the Delivery is ``dead``. A channel failing ``CIRCUIT_FAILURES``
times in a row opens its circuit for ``CIRCUIT_OPEN_FOR``: due sends wait, then one probes it.

``deliver_all`` sends a batch: its Deliveries prepared and stored together before any channel
is called, sent one by one through one opened backend per channel (one connection), and what
became of them (attempts, statuses, ``message_sent`` events, the channels' health) written
together after. A provider's error fails or retries that message alone; the channel's failures
in a row are counted as they come, so its circuit opens in the middle of a batch as it would
between single sends, and the channel's messages after that are not started (the action stage
defers them).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from django.db import IntegrityError, transaction
from django.db.models import F

from .. import conf, metrics, rehearsal, tracking, whatsapp_cloud
from ..channels import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from ..eventstore import Identity, message_event, store_events
from ..models import Channel, Delivery, DeliveryAttempt, ScheduledAction
from ..rendering import TemplateError
from ..saleor import actions as saleor_actions
from .prepare import Prepared, prepare_delivery, store
from .route import Route
from .storage import mark_sent


@dataclass(frozen=True)
class Report:
    """What delivering a message came to; the action stage decides what it means for the action."""

    sent: bool                # handed to the channel, now or before
    error: str = ""           # not sent: why
    transient: bool = False   # not sent, and worth trying again later
    tried: bool = False       # the channel was called


def never() -> bool:
    return False


def deliver(action: ScheduledAction, route: Route, now) -> Report:
    """Prepare the action's Delivery (once) and send it through the route's channel unless it was
    sent already. The caller has checked the channel's circuit (``Route.circuit_open_until``).
    Every outcome but "sent before" is counted (``masa_sends_total``)."""
    return deliver_all([(action, route)], now)[action.pk]


def deliver_all(sends: list[tuple[ScheduledAction, Route]], now, stopped: Callable[[], bool] = never,
                started: set[int] | None = None, deadline: float | None = None) -> dict[int, Report]:
    """``deliver`` for a batch (at most one message per customer: what one sends, the next one's
    checks must see); returns a Report per action id, none for the actions not started (``stopped()``
    said so before their send, or their channel's circuit opened in this batch: ``Route.channel``
    shows it, or ``deadline`` (a ``time.monotonic()``) passed after the first send: they are read and
    checked again). ``started``: the ids of the actions whose channel was called are added to it
    before the call."""
    reports: dict[int, Report] = {}
    deliveries: dict[int, Delivery] = {}
    prepared = Prepared([action for action, _ in sends])
    for action, route in sends:
        try:
            deliveries[action.pk] = prepare_delivery(action, route, now, prepared)
        except (TemplateError, saleor_actions.ActionRefused) as error:
            reports[action.pk] = _counted(route, Report(False, str(error)))
        except saleor_actions.ActionUnavailable as error:
            reports[action.pk] = _counted(route, Report(False, str(error), transient=True))
    stored = store(list(deliveries.values()))
    round_ = _Round(now)
    try:
        for action, route in sends:
            delivery = deliveries.get(action.pk) and stored.get(deliveries[action.pk].idempotency_key)
            if delivery is None:
                continue
            if delivery.status in Delivery.SENT_STATUSES:
                reports[action.pk] = Report(True)
                continue
            if round_.attempts and deadline is not None and time.monotonic() >= deadline:
                break
            if route.circuit_open_until(round_.now) is not None or stopped():
                continue
            if started is not None:
                started.add(action.pk)
            reports[action.pk] = _counted(route, round_.send(action, delivery, route))
    except BaseException:
        round_.close()
        round_.write_if_possible()
        raise
    round_.close()
    round_.write()
    return reports


def _counted(route: Route, report: Report) -> Report:
    metrics.send_reported(route.channel.kind, report.sent, report.transient)
    return report


@dataclass
class _Round:
    """The sends of one batch: the backends opened for it and what to write once they are done."""

    now: object
    senders: dict[int, ChannelBackend] = field(default_factory=dict)
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    sent: list[Delivery] = field(default_factory=list)
    events: list[tuple[ScheduledAction, Delivery, Route]] = field(default_factory=list)
    failed: list[tuple[Delivery, str, str]] = field(default_factory=list)   # (delivery, status, error)
    health: dict[int, "_Health"] = field(default_factory=dict)

    def sender(self, route: Route) -> ChannelBackend:
        channel = route.channel.pk
        if channel not in self.senders:
            self.senders[channel] = route.sender()
            self.senders[channel].open()
        return self.senders[channel]

    def send(self, action: ScheduledAction, delivery: Delivery, route: Route) -> Report:
        now, channel = self.now, route.channel
        started = time.monotonic()
        headers = tracking.list_unsubscribe_headers(delivery.idempotency_key) if action.is_marketing_send else {}
        message = OutgoingMessage(to=delivery.to, subject=delivery.subject, body=delivery.body,
                                  html_body=delivery.html_body, headers=headers, key=delivery.idempotency_key,
                                  provider_template=delivery.provider_template or None,
                                  window_open=whatsapp_cloud.window_open(action.customer.whatsapp_wrote_at, now))
        try:
            result = SendResult(response=rehearsal.NOT_SENT) if rehearsal.active() else self.sender(route).send(message)
        except TransientChannelError as error:
            self._attempt(delivery, started, ok=False, response=str(error))
            self._health(channel).failed(channel, now, str(error))
            if action.attempts + 1 >= conf.get("SEND_MAX_ATTEMPTS"):  # the action stage gives up at the same count
                self.failed.append((delivery, Delivery.Status.DEAD, str(error)))
            return Report(False, str(error), transient=True, tried=True)
        except PermanentChannelError as error:
            self._attempt(delivery, started, ok=False, response=str(error))
            self.failed.append((delivery, Delivery.Status.FAILED, str(error)))
            self._health(channel).last_error = str(error)
            return Report(False, str(error), tried=True)
        self._attempt(delivery, started, ok=True, response=result.response)
        delivery.status, delivery.sent_at, delivery.error = Delivery.Status.SENT, now, ""
        delivery.provider_message_id = result.provider_message_id
        self.sent.append(delivery)
        if action.kind == "send":
            self.events.append((action, delivery, route))
        self._health(channel).succeeded_on(channel)
        return Report(True, tried=True)

    def _health(self, channel: Channel) -> "_Health":
        return self.health.setdefault(channel.pk, _Health())

    def _attempt(self, delivery: Delivery, started: float, ok: bool, response: str) -> None:
        self.attempts.append(DeliveryAttempt(delivery=delivery, started_at=self.now, ok=ok, response=response[:2000],
                                             duration_ms=int((time.monotonic() - started) * 1000)))

    def close(self) -> None:
        for sender in self.senders.values():
            sender.close()
        self.senders.clear()

    def write(self) -> None:
        """Everything the sends came to, in one transaction. If a Delivery went meanwhile (its
        customer erased), what the others came to is written without it: a message sent is never
        left recorded as unsent because of another customer's rows."""
        if not (self.attempts or self.health):
            return
        try:
            self._write()
        except IntegrityError:
            gone = {delivery.pk for delivery in self._deliveries()} - set(
                Delivery.objects.filter(pk__in=[delivery.pk for delivery in self._deliveries()])
                .values_list("pk", flat=True))
            self.attempts = [attempt for attempt in self.attempts if attempt.delivery_id not in gone]
            self.sent = [delivery for delivery in self.sent if delivery.pk not in gone]
            self.failed = [failed for failed in self.failed if failed[0].pk not in gone]
            self.events = [event for event in self.events if event[1].pk not in gone]
            self._write()
        self.attempts, self.sent, self.failed, self.events, self.health = [], [], [], [], {}

    def _deliveries(self) -> list[Delivery]:
        return [attempt.delivery for attempt in self.attempts]

    def _write(self) -> None:
        with transaction.atomic():
            DeliveryAttempt.objects.bulk_create(self.attempts)
            mark_sent(self.sent, self.now)
            for delivery, status, error in self.failed:
                Delivery.objects.filter(pk=delivery.pk).update(status=status, error=error)
            self._message_sent()
            for channel, health in self.health.items():
                health.write(channel, self.now)

    def write_if_possible(self) -> None:
        """``write`` while the batch is being interrupted: a send it records then goes no second time
        (one it cannot record goes again after its lease, with the same idempotency key)."""
        try:
            self.write()
        except Exception:  # noqa: BLE001 - what is not written is sent again after the lease, same key
            pass

    def _message_sent(self) -> None:
        """``message_sent`` of each send (``eventstore.message_event``), stored in one call."""
        if not self.events:
            return
        events = [message_event(delivery, "message_sent", f"message_sent:{delivery.idempotency_key}", self.now,
                                action.customer, action.rule.rule_id if action.rule else "", route.channel.kind,
                                **{"class": action.params.get("class", "marketing")})
                  for action, delivery, route in self.events]
        known = {Identity.of(action.customer): action.customer for action, _, _ in self.events}
        store_events("masa", events, known=known)


@dataclass
class _Health:
    """A channel's health over a batch's sends, as single sends would have left it: a success
    resets its failures in a row, each transient failure counts one more, and at CIRCUIT_FAILURES
    in a row its circuit opens (on the row in hand at once, so the batch's next sends wait)."""

    succeeded: bool = False
    failures: int = 0       # transient failures since its last success in this batch
    last_error: str = ""

    def succeeded_on(self, channel: Channel) -> None:
        self.succeeded, self.failures = True, 0
        channel.consecutive_failures, channel.circuit_open_until = 0, None

    def failed(self, channel: Channel, now, error: str) -> None:
        self.failures += 1
        self.last_error = error
        channel.consecutive_failures += 1
        if channel.consecutive_failures >= conf.get("CIRCUIT_FAILURES"):
            channel.circuit_open_until = now + timedelta(seconds=conf.seconds("CIRCUIT_OPEN_FOR"))

    def write(self, channel: int, now) -> None:
        rows = Channel.objects.filter(pk=channel)
        if self.succeeded:
            rows.update(last_success_at=now, consecutive_failures=0, circuit_open_until=None)
        if self.last_error:
            rows.update(last_error_at=now, last_error=self.last_error,
                        consecutive_failures=F("consecutive_failures") + self.failures)
        if self.failures:
            rows.filter(consecutive_failures__gte=conf.get("CIRCUIT_FAILURES")).update(
                circuit_open_until=now + timedelta(seconds=conf.seconds("CIRCUIT_OPEN_FOR")))
