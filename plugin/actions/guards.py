"""Guards: conditions re-checked when an action falls due (and when a purchase may void it).

A guard reads of an action its ``pk``, ``rule``, ``customer``, ``event.occurred_at``, ``due_at``,
``guard`` and ``is_marketing_send``: a ``ScheduledAction`` when it falls due, the evaluation's
``PendingAction`` view of one when a purchase may void it.

``GUARDS`` is the one registry: a rule's ``check`` step names guards from it (the compiler asks
each guard what is wrong with its argument), and ``failed_guard`` runs them, returning the reason
an action must not run, in words the timeline shows, or None. Adding a guard is one ``Guard``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from django.utils.dateparse import parse_datetime

from .. import consent
from ..assignment import in_share, pinned_branch
from ..durations import as_time
from ..events import PURCHASES, is_trigger
from ..models import Delivery, ScheduledAction, StoreEvent
from ..values import listify

BROADCAST = "broadcast"  # rules.compiler.BROADCAST (the compiler imports guards, through the check step)


def _not_bought_since(action: ScheduledAction, argument: dict) -> str | None:
    since = action.event.occurred_at
    customer = action.customer
    for category in listify(argument.get("category", [])):
        last = customer.last_bought_category.get(category)
        if last and parse_datetime(last) > since:
            return f"bought from category {category!r} again on {last[:10]}"
    for product in listify(argument.get("product", [])):
        last = customer.last_bought_product.get(product)
        if last and parse_datetime(last) > since:
            return f"bought product {product!r} again on {last[:10]}"
    return None


def _not_bought(action: ScheduledAction, argument: dict) -> str | None:
    customer = action.customer
    for category in listify(argument.get("category", [])):
        if customer.category_counts.get(category):
            return f"has bought from category {category!r}"
    for product in listify(argument.get("product", [])):
        if product in customer.last_bought_product:
            return f"has bought product {product!r}"
    return None


def _no_order_since(action: ScheduledAction, argument) -> str | None:
    last = action.customer.last_order_at
    if last and last > action.event.occurred_at:
        return f"the customer ordered again on {last:%Y-%m-%d}"
    return None


def _marketing_consent(action: ScheduledAction, argument) -> str | None:
    """Consent on the channel the send goes through (``consent.kind_for_channel`` of the channel
    its ``channel`` names, a name or a kind); for ``channel: preferred``, on at least one of its
    ``channels`` (the preferred-channel choice then picks among those) until it has chosen, then on
    the chosen channel's kind only: a send deferred (quiet hours, a cap) or retried after the customer
    withdrew that kind must not go on it because another kind still has consent. Any other action:
    e-mail's."""
    params = getattr(action, "params", None) or {}
    preferred = params.get("channel") == "preferred"
    chosen = (getattr(action, "channel_choice", None) or {}).get("kind") if preferred else None
    if chosen:
        names = [str(chosen)]
    else:
        names = listify(params.get("channels") or []) if preferred else [params.get("channel") or "email"]
    memo = getattr(action, "_consent_kinds", None)  # looked up once per action, however many checks ask
    kind_of = getattr(action, "_kind_of", None) or consent.channel_kind  # a batch's: from the channels it read
    kinds = memo[1] if memo and memo[0] == names else \
        list(dict.fromkeys(consent.kind_for_channel(kind_of(str(name))) for name in names))
    action._consent_kinds = (names, kinds)
    if any(consent.given(action.customer, kind) for kind in kinds):
        return None
    return f"the customer has no marketing consent for {consent.kinds_words(kinds or ['email'])}"


def _no_event_since(action: ScheduledAction, argument) -> str | None:
    """None of these events came for the customer after the triggering one (e.g. invoice paid)."""
    found = (StoreEvent.objects.filter(customer=action.customer, name__in=listify(argument),
                                       occurred_at__gt=action.event.occurred_at)
             .order_by("occurred_at").values_list("name", "occurred_at").first())
    if found:
        return f"{found[0]} came on {found[1]:%Y-%m-%d}"
    return None


def _no_message_since(action: ScheduledAction, argument) -> str | None:
    """No message went to the customer after the triggering event (keep in touch); staff alerts
    about the customer do not count."""
    sent = Delivery.objects.filter(customer=action.customer, status__in=Delivery.SENT_STATUSES,
                                   sent_at__gt=action.event.occurred_at)
    if action.pk is not None:
        sent = sent.exclude(action_id=action.pk)
    sent = (sent.exclude(action__kind="notify_staff")
            .order_by("-sent_at").values_list("template_key", "sent_at").first())
    if sent:
        return f"a newer message ({sent[0]}) went on {sent[1]:%Y-%m-%d}"
    return None


def _marketing_paused(action: ScheduledAction) -> str | None:
    """A rule paused marketing for this customer (``pause_marketing``) past this send's time."""
    until = as_time((action.customer.facts or {}).get("marketing_paused_until"))
    if until is not None and until > action.due_at:
        return f"marketing is paused for this customer until {until:%Y-%m-%d}"
    return None


def _purchase_problem(argument) -> str | None:
    if not isinstance(argument, dict) or not set(argument) & {"category", "product"}:
        return "needs 'category' or 'product'"
    unknown = sorted(set(argument) - {"category", "product"}, key=str)
    return f"unknown option {unknown[0]!r}; one of category, product" if unknown else None


def _events_problem(argument) -> str | None:
    if not listify(argument):
        return "name at least one event"
    unknown = [event for event in listify(argument) if not is_trigger(event)]
    return f"unknown event {unknown[0]!r}" if unknown else None


def _bought_in(argument, event: StoreEvent) -> bool:
    """Whether this purchase event is of the category or product a guard names."""
    if event.name not in PURCHASES or not isinstance(argument, dict):
        return False
    data = event.data
    categories = {*(data.get("categories") or []), *([data["category"]] if data.get("category") else [])}
    products = {str(p) for p in data.get("products") or []}
    return bool(categories & {str(c) for c in listify(argument.get("category", []))}
                or products & {str(p) for p in listify(argument.get("product", []))})


def _in_branch(action: ScheduledAction, argument: dict) -> str | None:
    """A split's branch: the customer's own (``assignment``), or the winner once one is chosen."""
    rule = action.rule
    winner = (rule.split_winners or {}).get(argument["at"]) if rule is not None else None
    if winner:
        return None if argument["branch"] == winner else f"the test chose branch {winner} of the split"
    pinned = pinned_branch(rule.rule_id, argument["at"]) if rule is not None else None
    if pinned:
        return None if argument["branch"] == pinned else "this customer is in another branch of the split"
    if rule is not None and in_share(f"split:{rule.rule_id}:{argument['at']}", action.customer,
                                     argument["from"], argument["to"]):
        return None
    return "this customer is in another branch of the split"


def in_own_branch(guard: list[dict], rule, customer) -> bool:
    """Whether a planned action's split guards (if any) let it be scheduled for this customer."""
    probe = _Probe(rule, customer)
    return not any(_in_branch(probe, argument) for step in guard or [] for name, argument in step.items()
                   if name == "split")


@dataclass(frozen=True)
class _Probe:
    rule: Any
    customer: Any


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[ScheduledAction, Any], str | None]
    problem: Callable[[Any], str | None] = lambda argument: None
    # Whether an event of the customer may make the guard fail at once (it is then re-checked the
    # moment the event is evaluated, so the timeline shows the cancellation when it happens).
    voided_by: Callable[[Any, StoreEvent], bool] = lambda argument, event: False


GUARDS: dict[str, Guard] = {guard.name: guard for guard in (
    Guard("not_bought_since", _not_bought_since, _purchase_problem, _bought_in),
    Guard("not_bought", _not_bought, _purchase_problem, _bought_in),
    Guard("no_order_since", _no_order_since, lambda argument: None if argument is True else "write no_order_since: true",
          lambda argument, event: event.name == "order_placed"),
    Guard("marketing_consent", _marketing_consent,
          lambda argument: None if argument is True else "write marketing_consent: true"),
    Guard("no_event_since", _no_event_since, _events_problem),
    Guard("no_message_since", _no_message_since,
          lambda argument: None if argument is True else "write no_message_since: true",
          lambda argument, event: event.name == "message_sent"),
)}


# Guards a step kind adds to its actions, never written in a ``check``: a split's branch.
INTERNAL: dict[str, Guard] = {"split": Guard("split", _in_branch)}


def voided_by(guard: list[dict], event: StoreEvent) -> bool:
    """Whether ``event`` may make one of these guards fail now (``Guard.voided_by``)."""
    return any(name in GUARDS and GUARDS[name].voided_by(argument, event) for step in guard or []
               for name, argument in step.items())


def marketing_if_broadcast(action: ScheduledAction) -> None:
    """A send of a broadcast is marketing whatever its step says (a rule stored before
    ``class: transactional`` was refused on broadcasts, or one whose rule is now a broadcast):
    it is labelled marketing, and stored so, before anything is checked — consent, pauses,
    caps, quiet hours, holdouts and the unsubscribe header then apply as to any marketing send."""
    if action.kind != "send" or action.is_marketing_send:
        return
    trigger = (action.rule.definition or {}).get("trigger") if action.rule is not None else None
    if action.event.name == BROADCAST or (isinstance(trigger, dict) and trigger.get("event") == BROADCAST):
        action.params = {**action.params, "class": "marketing"}
        ScheduledAction.objects.filter(pk=action.pk).update(params=action.params)


class GuardFailure(str):
    """The reason in words, with ``code``: which guard failed (a guard's name, ``rule_off``,
    ``marketing_consent`` or ``marketing_paused``), for counting without the sentence."""

    code: str

    def __new__(cls, reason: str, code: str):
        failure = super().__new__(cls, reason)
        failure.code = code
        return failure


def failed_guard(action: ScheduledAction, marketing: bool = True,
                 kind_of: Callable[[str], str] | None = None) -> GuardFailure | None:
    """Why the action must not run now, or None. ``marketing=False``: only the rule and its checks
    (what a purchase may void); consent and pauses are then left to when it falls due. ``kind_of``:
    ``consent.channel_kind`` answered from the channels a batch of sends read (the same answer)."""
    if kind_of is not None:
        action._kind_of = kind_of
    if action.rule is not None and not action.rule.enabled:
        return GuardFailure(f"rule {action.rule.rule_id!r} was turned off", "rule_off")
    if marketing and action.is_marketing_send:
        reason = _marketing_consent(action, None)
        if reason:
            return GuardFailure(reason, "marketing_consent")
        reason = _marketing_paused(action)
        if reason:
            return GuardFailure(reason, "marketing_paused")
    for guard in action.guard:
        for name, argument in guard.items():
            reason = (GUARDS.get(name) or INTERNAL[name]).check(action, argument)
            if reason:
                return GuardFailure(reason, name)
    return None
