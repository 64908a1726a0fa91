"""What each kind of scheduled action does when it falls due, one performer per kind.

A performer returns an ``Outcome``; ``due.record`` writes it onto the action. Message kinds go
to delivery; Masa's own kinds (emitted events, delayed effects, confirmed cart abandonments)
enter the event store as events; ``sync_to_saleor`` writes to Saleor; an ``await`` whose time ran
out schedules its ``on_timeout`` branch.

``PERFORMERS`` is the registry, keyed by the planned kind, that ``due`` looks performers up in;
``performs(kind, …)`` registers one (a new step kind that plans a new action kind registers its
performer so; the action stage never imports the rules stage). tests/rules/test_step_kinds.py
checks that every kind a step plans has a performer and every performer a kind to perform.
"""
from __future__ import annotations

from typing import Callable

from .. import conf, preference, rehearsal
from ..channels import backends
from ..delivery import Report, Route, Routes, deliver, route
from ..eventstore import store_events
from ..events import REVERSALS, RULE_EFFECT, Identity, NormalizedEvent
from ..models import Channel, ScheduledAction
from ..saleor import actions as saleor_actions
from . import abandonment, awaiting, dosage, holdout
from .outcome import DEFERRED, DONE, FAILED, RETRY, SKIPPED, Outcome

Performer = Callable[[ScheduledAction, object], Outcome]
PERFORMERS: dict[str, Performer] = {}


def performs(*kinds: str) -> Callable[[Performer], Performer]:
    """Register the decorated function as the performer of these action kinds (one each)."""
    def register(performer: Performer) -> Performer:
        for kind in kinds:
            if kind in PERFORMERS:
                raise ValueError(f"{kind!r} has a performer already: {PERFORMERS[kind].__name__}")
            PERFORMERS[kind] = performer
        return performer
    return register


MESSAGE_KINDS = ("send", "notify_staff")


@performs(*MESSAGE_KINDS)
def perform_message(action: ScheduledAction, now) -> Outcome:
    """``send`` and ``notify_staff``: a channel (resolved once, handed on to delivery; for
    ``channel: preferred`` first chosen from the customer's history), caps and quiet hours, then
    delivery; what it reports becomes the action's outcome. (A sweep sends its batch with
    ``check_message`` and ``delivery.deliver_all``: the same checks, per action.)"""
    checked = check_message(action, now)
    return checked if isinstance(checked, Outcome) else delivered(deliver(action, checked, now))


def check_message(action: ScheduledAction, now, routes: Routes | None = None,
                  recent: dosage.RecentSends | None = None) -> Outcome | Route:
    """Everything a message action passes before it is delivered, in order: the staff to notify,
    the channel (``routes``: the channels a batch read), the address, the channel's circuit, caps
    (``recent``: the marketing messages its round's customers got, read once) and quiet hours, the
    holdout. Returns the route to deliver through, or the outcome instead."""
    if action.kind == "notify_staff" and not conf.get("STAFF_EMAILS"):
        return Outcome(FAILED, "MASA['STAFF_EMAILS'] names nobody to notify")
    name = action.params.get("channel", "email")
    if name == preference.PREFERRED:
        choice = preferred_channel(action, now, routes)
        if not choice.get("chosen"):
            return Outcome(SKIPPED, preference.skipped_reason(choice, action.params.get("channels") or []))
        name = choice["chosen"]
    through = routes.route(name) if routes is not None else route(name)
    if through is None:
        return Outcome(FAILED, f"no enabled channel named or of kind {name!r}")
    channel = through.channel
    if action.kind != "notify_staff" and through.backend_class is not None:
        field = through.backend_class.address_field
        if not getattr(action.customer, field, ""):
            words = {"phone": "phone number", "email": "email address"}.get(field, field)
            return Outcome(SKIPPED, f"the customer has no {words} for channel {channel.name!r}")
    until = through.circuit_open_until(now)
    if until is not None:
        return Outcome(DEFERRED, through.failing(), until=until)
    deferral = dosage.defer_until(action, channel, now, recent)
    if deferral is not None:
        return Outcome(DEFERRED, deferral[1], until=deferral[0])
    if holdout.held_out(action):
        ScheduledAction.objects.filter(pk=action.pk).update(held_out=True)
        return Outcome(DONE, note=f"held out: would have sent it through {channel.name}", at=now)
    return through


def delivered(report: Report) -> Outcome:
    """What delivery reported, as the action's outcome."""
    if report.sent:
        return Outcome(DONE, tried=report.tried)
    return Outcome(RETRY if report.transient else FAILED, report.error, tried=report.tried)


def preferred_channel(action: ScheduledAction, now, routes: Routes | None = None) -> dict:
    """A ``channel: preferred`` send's channel, chosen once (``preference.choose``) and stored on the
    action before anything is sent, so a retry or a deferred send keeps the first choice — while that
    channel is still enabled: one turned off in between is chosen again among those that can carry
    it now. (One whose consent was withdrawn in between is not: the consent guard skips the send.)"""
    chosen = (action.channel_choice or {}).get("chosen")
    if chosen and (any(channel.name == chosen for channel in routes.channels) if routes is not None
                   else Channel.objects.filter(name=chosen, enabled=True).exists()):
        return action.channel_choice
    choice = preference.choose(
        action.customer, action.params.get("channels") or [], action.is_marketing_send, now,
        template=action.params.get("template", ""),
        address_fields={kind: backend.address_field for kind, backend in backends().items()},
        scope=f"rule:{action.rule.rule_id}" if action.rule else None).as_json()
    action.channel_choice = choice
    ScheduledAction.objects.filter(pk=action.pk).update(channel_choice=choice)
    return choice


def _masa_event(action: ScheduledAction) -> tuple[str, dict]:
    if action.kind == "emit":
        return action.params["event"], {"emitted_by": action.rule.rule_id, **_order_of(action)}
    if action.kind == "effect":
        return RULE_EFFECT, {"effect": action.params, "rule": action.rule.rule_id, "firing": action.firing_id,
                             **_effect_order(action)}
    return "cart_abandoned", {**action.event.data, "last_update_at": action.event.occurred_at.isoformat()}


def _effect_order(action: ScheduledAction) -> dict:
    """The order a delayed effect is undone with (``rules.takeback``): the one whose event answered
    the wait it followed, else the one whose event fired the rule; and that event's name."""
    params, data = action.params, action.event.data
    if params.get("order_id"):
        return {key: params[key] for key in ("order_id", "number", "order_event") if key in params}
    if data.get("order_id") and action.event.name not in REVERSALS:
        return {**_order_of(action), "order_event": action.event.name}
    return {}


def _order_of(action: ScheduledAction) -> dict:
    return {key: action.event.data[key] for key in ("order_id", "number") if key in action.event.data}


@performs("emit", "effect", abandonment.KIND)
def store_masa_event(action: ScheduledAction, now) -> Outcome:
    """Emitted events, delayed effects and confirmed abandonments enter as Masa's own events."""
    name, data = _masa_event(action)
    customer = action.customer
    identity = Identity.of(customer)
    store_events("masa", [NormalizedEvent(name, f"{name}:{action.idempotency_key}", now, identity, data)])
    return Outcome(DONE)


@performs("sync_to_saleor")
def sync_to_saleor(action: ScheduledAction, now) -> Outcome:
    """Nothing to write for a guest (no Saleor account): skipped with the reason, not a failure."""
    if not action.customer.store_id:
        return Outcome(SKIPPED, "a guest: no Saleor customer account to write to")
    if rehearsal.active():
        values = saleor_actions.metadata_values(action.customer, action.params["facts"])
        return Outcome(DONE, note="rehearsal: would write " + ", ".join(f"{k}={v}" for k, v in values.items()))
    try:
        written = saleor_actions.write_customer_metadata(action.customer, action.params["facts"])
    except saleor_actions.ActionRefused as error:
        return Outcome(FAILED, str(error))
    except saleor_actions.ActionUnavailable as error:
        return Outcome(RETRY, str(error))
    return Outcome(DONE, note="wrote " + ", ".join(f"{k}={v}" for k, v in written.items()))


performs(awaiting.KIND)(awaiting.time_out)
