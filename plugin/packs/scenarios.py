"""A pack's scenarios (``scenarios.yaml``): given events at times → the messages, cancellations
and facts the pack must produce. ``masa_pack test`` and the shipped packs' tests run them.

Each scenario is a rehearsal (``rehearsal``): the pack installed, the store's events entering
through Masa's public Django signals, the clock moved from one due action to the next on the
live path (``playback``), nothing sent, and everything rolled back at the end. A ``broadcast``
goes through ``rules.broadcast`` at the rehearsal clock's time, reaching only the scenario's
customer. Splits and holdouts hash the customer's store id (``assignment``), so a scenario
decides the same branch on every run; ``assign:`` pins one. The format is in
docs/rule-packs.md, "Scenarios".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.test.utils import override_settings

from .. import conf, signals
from ..assignment import HOLDOUT, SEND, pinned
from ..eventstore import record_message_event
from ..models import Broadcast, Channel, Customer, Delivery, Rule, RulePack, ScheduledAction
from ..rules.broadcast import BroadcastError, fan_out, start_broadcast
from ..rules.compiler import RuleDefinitionError
from ..rules.evaluate import compile_stored_rule
from .installer import import_pack
from .loader import Pack, PackError
from .playback import Clock, rehearsal
from .scenario_format import (CONSENT_KINDS, CUSTOMER, CUSTOMER_FIELDS, EVENT_KINDS, MESSAGE_ACTIONS, SITE_SETTINGS,
                              START, ScenarioError, moment)
from .scenario_format import ORDER_FOLLOW_UPS as ORDER_FOLLOW_UP_KINDS

ORDER_FOLLOW_UPS = dict(zip(ORDER_FOLLOW_UP_KINDS, (signals.order_paid, signals.order_fulfilled,
                                                   signals.order_cancelled, signals.order_refunded)))


@dataclass
class Outcome:
    sent: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    cancelled: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    tags: list = field(default_factory=list)
    category_counts: dict = field(default_factory=dict)
    start: datetime = START


@dataclass
class ScenarioResult:
    name: str
    problems: list[str]
    outcome: Outcome

    @property
    def passed(self) -> bool:
        return not self.problems


def run_file(pack: Pack, document) -> list[ScenarioResult]:
    """Every scenario of a scenarios.yaml, each in its own rolled-back rehearsal. The document is
    checked first (``scenario_document``): a problem of the file fails it as a whole (one result,
    "scenarios.yaml"), a scenario's problems fail that scenario, each naming its field."""
    from .scenario_document import document_problems, document_start, scenario_name, scenario_problems

    problems = document_problems(document)
    if problems:
        return [ScenarioResult("scenarios.yaml", problems, Outcome())]
    start = document_start(document)
    results = []
    for index, scenario in enumerate(document.get("scenarios") or []):
        name = scenario_name(scenario, index)
        problems = scenario_problems(scenario, start)
        if problems:
            results.append(ScenarioResult(name, problems, Outcome(start=start)))
            continue
        shop = {**(document.get("settings") or {}), **(scenario.get("settings") or {})}
        try:
            outcome = play(pack, scenario, start, shop)
        except ScenarioError as error:
            results.append(ScenarioResult(name, [str(error)], Outcome(start=start)))
            continue
        except PackError as error:  # the scenario's parameters: values the pack does not take
            results.append(ScenarioResult(name, [f"parameters: {p}" for p in error.problems], Outcome(start=start)))
            continue
        results.append(ScenarioResult(name, check(scenario.get("expect") or {}, outcome), outcome))
    return results


def play(pack: Pack, scenario: dict, start: datetime = START, shop: dict | None = None) -> Outcome:
    """Play one scenario on the live path and roll it all back; returns what happened."""
    with _shop_settings(shop or {}), rehearsal():
        return _play(pack, scenario, start)


def _shop_settings(shop: dict):
    unknown = sorted(set(shop) - set(conf.DEFAULTS) - SITE_SETTINGS)
    if unknown:
        raise ScenarioError(f"settings: unknown setting {unknown[0]!r}; a MASA setting or one of {sorted(SITE_SETTINGS)}")
    masa = {**getattr(settings, "MASA", {}), **{k: v for k, v in shop.items() if k not in SITE_SETTINGS}}
    return override_settings(MASA=masa, **{k: v for k, v in shop.items() if k in SITE_SETTINGS})


def _play(pack: Pack, scenario: dict, start: datetime) -> Outcome:
    _quiet_the_shop(pack)
    import_pack(pack, scenario.get("parameters") or {})
    if scenario.get("rules"):
        chosen = set(scenario["rules"])
        unknown = sorted(chosen - {rule["id"] for rule in pack.rules})
        if unknown:
            raise ScenarioError(f"rules: the pack has no rule {unknown[0]!r}")
        Rule.objects.filter(pack=pack.pack_id).exclude(rule_id__in=chosen).update(enabled=False)
    _channels()
    clock = Clock(start)
    customer = _customer(scenario.get("customer") or {})
    if not customer["guest"]:
        signals.customer_created.send(sender=None, metadata=customer.get("metadata", {}), **_consent_words(customer),
                                      **_identity(customer, start))
    orders: list[dict] = []
    timed = [(moment(event.get("at", 0), start), index, event) for index, event in enumerate(scenario.get("events") or [])]
    with pinned(_pins(pack, scenario.get("assign") or {})):
        for at, _, event in sorted(timed, key=lambda item: item[:2]):
            clock.run_until(at)
            _given(event, customer, at, orders, pack)
        clock.run_until(moment(scenario.get("until", "400d"), start))
    found = _scenario_customer(customer)
    return _outcome(found, start) if found is not None else Outcome(start=start)


def _customer(given) -> dict:
    """The scenario's customer: ``CUSTOMER`` with what the scenario says; ``phone: null`` (or "")
    is a customer without a phone, ``guest: true`` one without an account (no id: known by e-mail)."""
    if not isinstance(given, dict):
        raise ScenarioError("customer: write its fields, e.g. {first_name: Dana, language: he}")
    unknown = sorted(set(given) - CUSTOMER_FIELDS)
    if unknown:
        raise ScenarioError(f"customer: unknown field {unknown[0]!r}; one of {', '.join(sorted(CUSTOMER_FIELDS))}")
    customer = {**CUSTOMER, **given}
    customer["phone"] = str(customer["phone"] or "")
    customer["id"] = None if customer["guest"] else str(customer["id"])
    customer["consent"] = _consent(given)
    return customer


def _consent(given: dict) -> dict[str, bool]:
    """Her marketing consent per kind: ``consent:`` as written, e-mail's from ``marketing_consent``
    when only that is given, each kind left out given."""
    written = given.get("consent") or {}
    if not isinstance(written, dict) or set(written) - set(CONSENT_KINDS):
        raise ScenarioError(f"customer.consent: write {{email: true, sms: false, whatsapp: true}}, not {written!r}")
    email = written.get("email", given.get("marketing_consent", True))
    return {"email": email, **{kind: written.get(kind, True) for kind in CONSENT_KINDS if kind != "email"}}


def _consent_words(customer: dict) -> dict:
    """Her consent as the store's Django signals give it: ``marketing_consent`` (e-mail's),
    ``sms_consent``, ``whatsapp_consent``."""
    given = customer["consent"]
    return {"marketing_consent": given["email"], "sms_consent": given["sms"], "whatsapp_consent": given["whatsapp"]}


def _identity(customer: dict, at: datetime) -> dict:
    """Who the store's events are about and what they carry of her (the Django signals' keywords)."""
    return {"customer_id": customer["id"], "email": customer["email"], "first_name": customer["first_name"],
            "last_name": customer["last_name"], "phone": customer["phone"], "locale": customer["language"],
            "time_zone": customer["time_zone"], "country": customer["country"], "occurred_at": at}


def _scenario_customer(customer: dict) -> Customer | None:
    """The scenario's customer as the in-process store's signals made her (its store is "")."""
    if customer["guest"]:
        return Customer.objects.filter(store="", store_id__isnull=True, email__iexact=customer["email"]).first()
    return Customer.objects.filter(store="", store_id=customer["id"]).first()


def _pins(pack: Pack, assign) -> dict:
    """A scenario's ``assign: {RULE: holdout | send | BRANCH}`` (or a list, for a rule with several
    splits) as ``assignment.pinned`` takes it: the rule's holdout side, or its split's branch."""
    if not isinstance(assign, dict):
        raise ScenarioError("assign: write {rule id: holdout, send or a branch of its split}")
    pins = {}
    for rule_id, choices in assign.items():
        rule = Rule.objects.filter(pack=pack.pack_id, rule_id=rule_id).first()
        if rule is None:
            raise ScenarioError(f"assign: the pack has no rule {rule_id!r}")
        for choice in choices if isinstance(choices, list) else [choices]:
            if choice in (HOLDOUT, SEND):
                if not (rule.holdout_percent or RulePack.objects.filter(pack_id=rule.pack, holdout_percent__gt=0).exists()):
                    raise ScenarioError(f"assign: rule {rule_id!r} has no holdout (the pack's or its own)")
                pins[(HOLDOUT, rule_id)] = choice == HOLDOUT
                continue
            splits = _splits(rule)
            found = [at for at, branches in splits.items() if choice in branches]
            if not found:
                names = sorted({b for branches in splits.values() for b in branches})
                raise ScenarioError(f"assign: {rule_id!r} has no branch {choice!r}; "
                                    f"{'one of ' + ', '.join(names) + ', ' if names else ''}or holdout / send")
            pins.update({("split", rule_id, at): choice for at in found})
    return pins


def _splits(rule: Rule) -> dict[str, set[str]]:
    """The rule's splits (where each is, as its actions' guards name it) → their branch names."""
    pack = RulePack.objects.filter(pack_id=rule.pack).first()
    try:
        compiled = compile_stored_rule(rule, (pack.resolved_parameters(), pack.segments) if pack else ({}, {}))
    except RuleDefinitionError as error:
        raise ScenarioError(str(error)) from None
    splits: dict[str, set[str]] = {}
    for planned in compiled.plan:
        for guard in planned.guard or []:
            if "split" in guard:
                splits.setdefault(guard["split"]["at"], set()).add(guard["split"]["branch"])
    return splits


def _quiet_the_shop(pack: Pack) -> None:
    """Inside the rehearsal only: the shop's other packs off, its pending work out of the clock's way."""
    Rule.objects.exclude(pack=pack.pack_id).update(enabled=False)
    ScheduledAction.objects.filter(status__in=[ScheduledAction.Status.PENDING, ScheduledAction.Status.CLAIMED]) \
        .update(status=ScheduledAction.Status.CANCELLED, cancel_reason="set aside for a scenario")
    RulePack.objects.filter(pack_id=pack.pack_id).delete()
    Rule.objects.filter(pack=pack.pack_id).delete()


def _channels() -> None:
    for kind, name, config in ((Channel.Kind.EMAIL, "Scenario email", {}),
                               (Channel.Kind.SMS, "Scenario SMS", {"provider": "http", "url": "https://sms.example/send"}),
                               (Channel.Kind.WHATSAPP, "Scenario WhatsApp", {"provider": "cloud_api",
                                                                             "phone_number_id": "100000000000001"})):
        if not Channel.objects.filter(kind=kind, enabled=True).exists():
            Channel.objects.create(name=name, kind=kind, config=config)


def _given(event: dict, customer: dict, at: datetime, orders: list[dict], pack: Pack) -> None:
    kinds = [kind for kind in EVENT_KINDS if kind in event]
    if len(kinds) != 1:
        raise ScenarioError(f"event {event}: name exactly one of {', '.join(EVENT_KINDS)}")
    kind = kinds[0]
    identity = _identity(customer, at)
    if customer["guest"] and _scenario_customer(customer) is None:
        # A guest is known from her first order or checkout, which carries the store's word on consent.
        identity.update(_consent_words(customer))
    if kind == "order":
        number = len(orders) + 1
        lines = [{"product_id": line.get("product", line.get("category", "")),
                  "product_name": line.get("name", line.get("product", line.get("category", ""))),
                  "quantity": line.get("quantity", 1), "total": line.get("price", 10.0),
                  "category": line.get("category", "")} for line in event["order"]]
        order = {"order_id": f"scenario-{number}", "number": str(number), "lines": lines, "currency": "EUR"}
        orders.append(order)
        signals.order_placed.send(sender=None, **order, **identity)
    elif kind == "order_refunded":
        refund = {name: event[name] for name in ("full", "amount") if name in event}
        signals.order_refunded.send(sender=None, **_order(orders, event[kind]), **refund,
                                    refund_id=f"refund@{at.isoformat()}", **identity)
    elif kind in ORDER_FOLLOW_UPS:
        ORDER_FOLLOW_UPS[kind].send(sender=None, **_order(orders, event[kind]), **identity)
    elif kind == "broadcast":
        _broadcast(pack, event["broadcast"], customer, at)
    elif kind == "checkout":
        lines = [{"product_id": line.get("product", line.get("category", "")), "quantity": line.get("quantity", 1),
                  "total": line.get("price", 10.0), "category": line.get("category", "")} for line in event["checkout"]]
        signals.checkout_updated.send(sender=None, checkout_id=event.get("checkout_id", "scenario-checkout"),
                                      lines=lines, **identity)
    elif kind == "customer":
        if customer["guest"]:
            raise ScenarioError("customer: a guest has no account whose details could change")
        signals.customer_updated.send(sender=None, metadata=(event["customer"] or {}).get("metadata", {}), **identity)
    elif kind == "form":
        answers = {k: v for k, v in event.items() if k not in ("at", "form")}
        signals.form_submitted.send(sender=None, form=event["form"], submission_id=f"{event['form']}@{at.isoformat()}",
                                    answers=answers, **identity)
    elif kind == "store_event":
        signals.store_event.send(sender=None, name=event["store_event"], event_id=f"{event['store_event']}@{at.isoformat()}",
                                 data=event.get("data", {}), **identity)
    else:
        _message_action(kind, event, at, customer)


def _order(orders: list[dict], which) -> dict:
    """``order_paid: 1`` is the scenario's first order; ``last`` (or true) its latest. (``1 == True``
    in Python: true is told apart by identity, or ``1`` would name the latest.)"""
    if not orders:
        raise ScenarioError("an order follow-up before any order")
    if which is True or which is None or which == "last":
        return orders[-1]
    if isinstance(which, bool) or not isinstance(which, int) or not 1 <= which <= len(orders):
        raise ScenarioError(f"there is no order {which!r}: the scenario placed {len(orders)} so far")
    return orders[which - 1]


def _broadcast(pack: Pack, rule_id, customer: dict, at: datetime) -> None:
    """Staff broadcast the rule at ``at`` (``rules.broadcast``): the real start and fan-out, reaching
    only the scenario's customer (the shop's own customers are not in the rehearsal's way)."""
    rule = Rule.objects.filter(pack=pack.pack_id, rule_id=rule_id).first()
    if rule is None:
        raise ScenarioError(f"broadcast: the pack has no rule {rule_id!r}")
    found = _scenario_customer(customer)
    if found is None:
        raise ScenarioError("broadcast: the guest is not known to the shop yet (no order or checkout before it)")
    try:
        broadcast = start_broadcast(rule, at, by="scenario", now=at)
    except BroadcastError as error:
        raise ScenarioError(f"broadcast {rule_id!r}: {error}") from None
    Broadcast.objects.filter(pk=broadcast.pk).update(last_customer_id=found.pk - 1)
    broadcast.refresh_from_db()
    fan_out(broadcast, batch=1, now=at)
    Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.SCHEDULED, finished_at=at)


def _message_action(kind: str, event: dict, at: datetime, customer: dict) -> None:
    """What she does with the latest message of a template she got (the shop's own customers'
    messages are not hers): open, read (on WhatsApp), click, reply…"""
    name, data = MESSAGE_ACTIONS[kind]
    template = event[kind]
    delivery = (Delivery.objects.filter(customer=_scenario_customer(customer), template_key=template,
                                        status__in=Delivery.SENT_STATUSES, sent_at__lte=at)
                .select_related("channel").order_by("-sent_at", "-pk").first())
    if delivery is None:
        raise ScenarioError(f"the scenario does {kind!r} on {template!r}, but no such message was sent by then")
    if kind == "read" and (delivery.channel.kind if delivery.channel else "") != Channel.Kind.WHATSAPP:
        raise ScenarioError(f"read: {template!r} went by {delivery.channel.kind if delivery.channel else 'no channel'}, "
                            f"not WhatsApp; an e-mail is opened (open: {template})")
    record_message_event(delivery, name, f"{name}:{delivery.idempotency_key}:{at.isoformat()}", at=at, **data(event))


def _outcome(customer: Customer, start: datetime) -> Outcome:
    outcome = Outcome(facts=customer.facts or {}, tags=customer.tags or [],
                      category_counts=customer.category_counts or {}, start=start)
    for delivery in (Delivery.objects.filter(customer=customer, status__in=Delivery.SENT_STATUSES)
                     .select_related("action", "channel").order_by("sent_at", "pk")):
        message = {"template": delivery.template_key, "at": delivery.sent_at, "body": delivery.body,
                   "subject": delivery.subject, "to": delivery.to,
                   "channel": (delivery.channel.kind, delivery.channel.name) if delivery.channel else ("", "")}
        (outcome.staff if delivery.action and delivery.action.kind == "notify_staff" else outcome.sent).append(message)
    outcome.cancelled = [{"rule": a.rule.rule_id if a.rule else a.kind, "reason": a.cancel_reason}
                         for a in ScheduledAction.objects.filter(customer=customer, status="cancelled")
                         .select_related("rule").order_by("due_at", "pk")]
    return outcome


def check(expect: dict, outcome: Outcome) -> list[str]:
    """Where what happened differs from ``expect``, one line each."""
    start = outcome.start
    problems = []
    for key, messages in (("sent", outcome.sent), ("staff", outcome.staff)):
        if key in expect:
            problems += _check_messages(key, expect[key] or [], messages, start)
    for wanted in expect.get("cancelled", []):
        if not any(c["rule"] == wanted["rule"] and wanted.get("reason", "") in c["reason"] for c in outcome.cancelled):
            problems.append(f"no cancelled {wanted['rule']!r} with reason {wanted.get('reason')!r}: {outcome.cancelled}")
    for name, value in (expect.get("facts") or {}).items():
        if outcome.facts.get(name) != value:
            problems.append(f"fact {name!r} is {outcome.facts.get(name)!r}, expected {value!r}")
    for tag in expect.get("tags", []):
        if tag not in outcome.tags:
            problems.append(f"tag {tag!r} missing: {outcome.tags}")
    for tag in expect.get("not_tags", []):
        if tag in outcome.tags:
            problems.append(f"tag {tag!r} should not be there: {outcome.tags}")
    for category, count in (expect.get("category_counts") or {}).items():
        if outcome.category_counts.get(category) != count:
            problems.append(f"category {category!r} count is {outcome.category_counts.get(category)}, expected {count}")
    return problems


def _check_messages(key: str, expected: list[dict], messages: list[dict], start: datetime) -> list[str]:
    problems = []
    got = [(m["template"], m["at"], m["channel"][0]) for m in messages]
    if len(got) != len(expected):
        problems.append(f"{key}: {len(got)} messages, expected {len(expected)}: {_describe(got, start)}")
    for wanted, message in zip(expected, messages):
        template, at = message["template"], message["at"]
        if wanted["template"] != template:
            problems.append(f"{key}: expected {wanted['template']!r}, sent {template!r} at {_since(at, start)}")
            continue
        if "at" in wanted and not _at_matches(wanted["at"], at, start):
            problems.append(f"{key}: {template!r} sent at {_since(at, start)}, expected {wanted['at']}")
        if wanted.get("contains", "") not in message["body"]:
            problems.append(f"{key}: {template!r} does not say {wanted['contains']!r}: {message['body']!r}")
        if wanted.get("excludes") and wanted["excludes"] in message["body"]:
            problems.append(f"{key}: {template!r} should not say {wanted['excludes']!r}: {message['body']!r}")
        if "subject" in wanted and wanted["subject"] != message["subject"]:
            problems.append(f"{key}: {template!r} has the subject {message['subject']!r}, expected {wanted['subject']!r}")
        if wanted.get("subject_contains") and wanted["subject_contains"] not in message["subject"]:
            problems.append(f"{key}: {template!r}'s subject does not say {wanted['subject_contains']!r}: "
                            f"{message['subject']!r}")
        if wanted.get("to") and wanted["to"] != message["to"]:
            problems.append(f"{key}: {template!r} went to {message['to']!r}, expected {wanted['to']!r}")
        if wanted.get("channel") and wanted["channel"] not in message["channel"]:
            problems.append(f"{key}: {template!r} went by {message['channel'][0] or 'no channel'}, "
                            f"expected {wanted['channel']}")
    return problems


def _at_matches(wanted, at: datetime, start: datetime) -> bool:
    if isinstance(wanted, list):
        low, high = (moment(w, start) for w in wanted)
        return low <= at <= high
    return moment(wanted, start) == at


def _since(at: datetime, start: datetime) -> str:
    delta: timedelta = at - start
    return f"{delta} ({at:%Y-%m-%d %H:%M %Z})"


def _describe(got, start: datetime) -> str:
    return ", ".join(f"{template}@{at - start}{f' ({kind})' if kind else ''}" for template, at, kind in got) or "none"
