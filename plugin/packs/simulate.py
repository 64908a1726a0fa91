"""What a pack would have done over the stored events of the last N days, touching nothing.

A rehearsal (``rehearsal``) on the live path (``playback``), inside one transaction that is
always rolled back: the pack is installed (or upgraded) there, the other packs' rules are turned
off, derived customer facts, firings, actions and Masa's own events are cleared, and the store's
events are played again in time order with the clock moving through every action that falls due
on the way — guards, consent, caps and quiet hours applied, messages rendered and recorded as
sent (``message_sent`` included, so chains that follow a sent message show), nothing handed to
a channel or written to Saleor. On PostgreSQL it works on private copies of Masa's tables
(``shadow``), so it locks no live row and the store goes on meanwhile; on SQLite (the demo) its
transaction holds the database until it ends.

``progress(done, total)`` is called as events are played; it may raise to stop the rehearsal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ..models import Customer, Delivery, RuleFiring, RulePack, ScheduledAction, StoreEvent
from .. import message_versions
from ..rehearsal import one_at_a_time
from ..rendering import TemplateError, find_template, merge_context, render
from ..rules.steps import MESSAGE_KINDS
from .installer import import_pack, upgrade_pack
from .loader import Pack
from .playback import Clock, rehearsal

DERIVED_FIELDS = {
    "orders_count": 0, "total_spent": 0, "first_order_at": None, "last_order_at": None,
    "category_counts": {}, "last_bought_category": {}, "last_bought_product": {}, "order_times": [],
    "category_times": {}, "facts": {}, "tags": [],
}
# Events the live path makes again as it replays: Masa's own and the record of each sent message.
REGENERATED_SOURCES = ("masa", "delivery")


@dataclass(frozen=True)
class WouldDo:
    rule_id: str
    email: str
    kind: str
    due_at: datetime
    status: str
    note: str
    subject: str = ""
    body: str = ""
    event_id: int | None = None
    html_body: str = ""


def simulate(pack_id: str, days: int, pack: Pack | None = None, now=None, rule_id: str | None = None,
             progress=None, wait: float = 0) -> list[WouldDo]:
    """What the pack (or only ``rule_id`` of it, its pack's other rules still chaining) would have done.

    One simulation or forecast plays at a time (``rehearsal.one_at_a_time``): this one waits up to
    ``wait`` seconds for its turn, then raises ``rehearsal.Busy``."""
    now = now or timezone.now()
    waiting = (lambda: progress(0, 0)) if progress else None
    with one_at_a_time(wait, waiting) as renew, rehearsal(copy=True, replay=True):
        _install(pack)
        _replay(pack_id, now, _renewing(progress, renew))
        return _collect(pack_id, now - timedelta(days=days), now, rule_id)


def _renewing(progress, renew):
    """``progress`` that also keeps this simulation's turn while it plays."""
    def report(done, total, *note):
        renew()
        if progress:
            progress(done, total, *note)
    return report


def _install(pack: Pack | None) -> None:
    if pack is None:
        return
    if RulePack.objects.filter(pack_id=pack.pack_id).exists():
        upgrade_pack(pack, any_version=True)   # rolled back: any version of the file may be rehearsed
    else:
        import_pack(pack)


def _replay(pack_id: str, now, progress=None) -> None:
    from ..models import Rule

    Rule.objects.exclude(pack=pack_id).update(enabled=False)
    ScheduledAction.objects.all().delete()
    RuleFiring.objects.all().delete()
    StoreEvent.objects.filter(source__in=REGENERATED_SOURCES).delete()
    Customer.objects.update(**DERIVED_FIELDS)
    events = list(StoreEvent.objects.filter(occurred_at__lte=now).order_by("occurred_at", "pk")
                  .values_list("pk", "occurred_at"))
    StoreEvent.objects.filter(pk__in=[pk for pk, _ in events]).update(status=StoreEvent.Status.PROCESSED)
    StoreEvent.objects.filter(occurred_at__gt=now).update(status=StoreEvent.Status.PROCESSED)
    clock = Clock(events[0][1] if events else now, since_event=0)
    every = max(1, len(events) // 100)
    for number, (pk, occurred_at) in enumerate(events):
        if progress and number % every == 0:
            progress(number, len(events))
        clock.run_until(occurred_at)
        StoreEvent.objects.filter(pk=pk).update(status=StoreEvent.Status.RECEIVED)
        clock.evaluate_waiting()
    clock.run_until(now)


def _collect(pack_id: str, since, now, rule_id: str | None) -> list[WouldDo]:
    actions = (ScheduledAction.objects.select_related("rule", "customer", "event")
               .filter(rule__pack=pack_id, event__occurred_at__gte=since).order_by("due_at", "pk"))
    if rule_id:
        actions = actions.filter(rule__rule_id=rule_id)
    deliveries = {d.action_id: d for d in Delivery.objects.filter(action__in=actions)}
    results = []
    for action in actions:
        delivery = deliveries.get(action.pk)
        subject = body = html_body = ""
        if delivery is not None:
            subject, body, html_body = delivery.subject, delivery.body, delivery.html_body
        elif action.kind in MESSAGE_KINDS and action.status == ScheduledAction.Status.PENDING:
            try:
                kind = message_versions.step_kind(action.params, action.channel_choice)
                rendered = render(find_template(action.params["template"], action.customer.locale, kind),
                                  merge_context(action.customer, action.event))
                subject, body, html_body = rendered.subject, rendered.body, rendered.html_body
            except TemplateError as error:
                body = str(error)
        when = delivery.sent_at if delivery is not None and delivery.sent_at else action.due_at
        results.append(WouldDo(action.rule.rule_id, action.customer.email, action.kind, when,
                               action.status, _note(action, delivery), subject, body, action.event_id, html_body))
    return results


def _note(action: ScheduledAction, delivery: Delivery | None) -> str:
    Status = ScheduledAction.Status
    if action.status == Status.PENDING:
        return "still to come" + (f" ({action.outcome})" if action.outcome else "")
    if action.status == Status.CANCELLED:
        return action.cancel_reason
    if action.status == Status.FAILED:
        return f"would have failed: {action.last_error}"
    if delivery is not None:
        return "would have been sent by now"
    return "would have been done by now" + (f": {action.outcome}" if action.outcome else "")
