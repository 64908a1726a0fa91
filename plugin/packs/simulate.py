"""What a pack would have done over the stored events of the last N days, touching nothing.

Everything runs inside one transaction that is always rolled back: the pack is installed (or
upgraded) there, the other packs' rules are turned off, derived customer facts and firings are
cleared, every stored event is evaluated again in order, and the actions this pack schedules for
events in the window are rendered and returned. Rows it deletes stay locked until it ends, so run
it outside the busiest hour on a large store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Customer, RuleFiring, RulePack, ScheduledAction, StoreEvent
from ..rendering import TemplateError, find_template, merge_context, render
from ..rules.evaluate import evaluate_event
from ..rules.steps import MESSAGE_KINDS
from .installer import import_pack, upgrade_pack
from .loader import Pack

DERIVED_FIELDS = {
    "orders_count": 0, "total_spent": 0, "first_order_at": None, "last_order_at": None,
    "category_counts": {}, "last_bought_category": {}, "last_bought_product": {}, "order_times": [],
    "category_times": {}, "facts": {}, "tags": [],
}


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


class _Rollback(Exception):
    pass


def simulate(pack_id: str, days: int, pack: Pack | None = None, now=None, rule_id: str | None = None) -> list[WouldDo]:
    """What the pack (or only ``rule_id`` of it, its pack's other rules still chaining) would have done."""
    now = now or timezone.now()
    results: list[WouldDo] = []
    try:
        with transaction.atomic():
            _install(pack)
            _replay(pack_id, now)
            results = _collect(pack_id, now - timedelta(days=days), now, rule_id)
            raise _Rollback
    except _Rollback:
        pass
    return results


def _install(pack: Pack | None) -> None:
    if pack is None:
        return
    if RulePack.objects.filter(pack_id=pack.pack_id).exists():
        upgrade_pack(pack)
    else:
        import_pack(pack)


def _replay(pack_id: str, now) -> None:
    from ..models import Rule

    Rule.objects.exclude(pack=pack_id).update(enabled=False)
    ScheduledAction.objects.all().delete()
    RuleFiring.objects.all().delete()
    Customer.objects.update(**DERIVED_FIELDS)
    events = StoreEvent.objects.filter(occurred_at__lte=now).exclude(source="masa").order_by("occurred_at", "pk")
    ids = list(events.values_list("pk", flat=True))
    StoreEvent.objects.filter(pk__in=ids).update(status=StoreEvent.Status.RECEIVED)
    for event_id in ids:
        evaluate_event(event_id)


def _collect(pack_id: str, since, now, rule_id: str | None) -> list[WouldDo]:
    actions = (ScheduledAction.objects.select_related("rule", "customer", "event")
               .filter(rule__pack=pack_id, event__occurred_at__gte=since).order_by("due_at"))
    if rule_id:
        actions = actions.filter(rule__rule_id=rule_id)
    results = []
    for action in actions:
        note = action.cancel_reason or ("would have been sent by now" if action.due_at <= now else "still to come")
        subject = body = html_body = ""
        if action.kind in MESSAGE_KINDS:
            try:
                rendered = render(find_template(action.params["template"], action.customer.locale),
                                  merge_context(action.customer, action.event))
                subject, body, html_body = rendered.subject, rendered.body, rendered.html_body
            except TemplateError as error:
                note = str(error)
        results.append(WouldDo(action.rule.rule_id, action.customer.email, action.kind, action.due_at,
                               action.status, note, subject, body, action.event_id, html_body))
    return results
