"""Customer facts: what an event changes about a customer, and the flat fact the engine sees."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.dateparse import parse_datetime

from .. import consent
from ..timezones import zone_of_country
from ..durations import DAY, as_time, median_interval_days
from ..events import REVERSALS
from ..models import Customer, StoreEvent
from ..values import person_name
from . import factkeys

MAX_TIMES = 100
METADATA_PREFIX = "masa."
LIST_TAG = Customer.LIST_TAG


PURCHASE_FIELDS = ["orders_count", "total_spent", "currency", "first_order_at", "last_order_at", "order_times",
                   "last_bought_product", "category_counts", "last_bought_category", "category_times"]


def apply_event(customer: Customer, event: StoreEvent, protected: frozenset = frozenset()) -> list[str]:
    """Update the customer's counters and profile from one event; return the changed field names.

    ``protected``: facts Masa's rules write (a tier, a score). The customer can write their own
    public metadata in Saleor, so a ``masa.<name>`` store field sets only facts no rule writes."""
    metadata_before = customer.store_metadata
    words = consent_in(event, customer)
    changed = _apply_event(customer, event, protected)
    if customer.store_metadata is not metadata_before and "store_metadata" not in changed:
        changed.append("store_metadata")
    changed += _locale_and_zone(customer, event)
    changed += _billing_name(customer, event)
    for kind, (value, source) in words.items():
        # A word older than the one on record (a delivery Saleor retried late) changes nothing.
        _, at, _ = consent.when_and_where(customer, kind)
        if at is None or event.occurred_at >= at:
            changed += consent.record(customer, kind, value, source, event.occurred_at)
    return changed


def language(code: str) -> str:
    """Saleor's ``languageCode`` (``HE``, ``EN_US``) as a template locale (``he``, ``en-us``)."""
    return (code or "").strip().lower().replace("_", "-")


def _valid_zone(name) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return name if isinstance(name, str) and ("/" in name or name == "UTC") and ZoneInfo(name) else ""
    except (ZoneInfoNotFoundError, ValueError):
        return ""


def _locale_and_zone(customer: Customer, event: StoreEvent) -> list[str]:
    """The customer's language and time zone from what the store says: the account's language (an
    order's or checkout's for a guest, never over the account's), ``masa.time_zone`` metadata (a
    valid IANA name), else the address's country when it has one zone (never over the
    metadata's). Where each came from is kept beside it."""
    changed, data = [], event.data
    if _guest_on_account(event, customer):
        return []
    account = event.name in ("customer_created", "customer_updated")
    code = language(data.get("locale", ""))
    if code and (account or not customer.locale_source.startswith("Saleor customer")) and code != customer.locale:
        customer.locale = code
        customer.locale_source = "Saleor customer language" if account else "Saleor order or checkout language"
        changed += ["locale", "locale_source"]
    metadata = data.get("metadata") if account else data.get("user_metadata")
    zone = _valid_zone((metadata or {}).get(f"{METADATA_PREFIX}time_zone"))
    source = f"Saleor metadata {METADATA_PREFIX}time_zone"
    if not zone and not customer.time_zone_source.startswith("Saleor metadata"):
        country = str(data.get("country") or "").upper()
        zone, source = zone_of_country(country), f"the address country ({country})"
    if zone and zone != customer.time_zone:
        customer.time_zone, customer.time_zone_source = zone, source
        changed += ["time_zone", "time_zone_source"]
    return changed


@dataclass(frozen=True)
class ConsentWord:
    """What an event says about marketing consent: ``value``, where it came from, and whether it is
    only a request (a "yes" anyone could have typed: a form, a guest's checkout) that the customer
    must confirm by a signed link first (double opt-in)."""

    value: bool
    source: str
    confirm: bool = False


def _billing_name(customer: Customer, event: StoreEvent) -> list[str]:
    """A customer without a name takes the billing name of their order (a guest has no other; an
    account may have none): never over a name they have, never from a guest's order that found an
    account by e-mail (``_guest_on_account``). Anyone types it, so it is cleaned again here
    (``values.person_name``: any source's event)."""
    if event.name != "order_placed" or customer.first_name or _guest_on_account(event, customer):
        return []
    first, last = person_name(event.data.get("first_name")), person_name(event.data.get("last_name"))
    if not first:
        return []
    customer.first_name, customer.last_name = first, customer.last_name or last
    return ["first_name", "last_name"]


def _guest_on_account(event: StoreEvent, customer: Customer) -> bool:
    """A guest's order or checkout that found a registered customer by e-mail: anyone can type
    anyone's address at a checkout, so it counts as a purchase but changes nothing of the account's
    profile (phone, language, time zone, consent)."""
    return bool(event.data.get("guest")) and bool(customer.store_id)


def consent_in(event: StoreEvent, customer: Customer) -> dict[str, tuple[bool, str]]:
    """Marketing consent given or withdrawn by this event, per kind (``consent.KINDS``), with where
    it came from; whose word counts is ``masa.consent``'s.

    In Saleor each kind has its key in the customer's public metadata
    (``consent.metadata_keys``: ``MASA["CONSENT_METADATA_KEYS"]``); a checkout's or order's own
    metadata counts only for a guest's customer (no account), since anyone at the checkout writes
    it — and its "yes", like a form's, only asks for confirmation (``consent_request``); their "no"
    withdraws at once. Masa's own opt-in links give the kinds they were sent for, an unsubscribe or
    a STOP reply withdraws its channel's kind only. A store value counts only when it is news
    (differs from the last one the store sent, kept in ``store_metadata``): an order that repeats
    yesterday's "true" does not undo today's unsubscribe."""
    return {kind: (word.value, word.source) for kind, word in _words(event, customer, remember=True).items()
            if not word.confirm}


def form_says_no(event: StoreEvent) -> list[str]:
    """The kinds a form says "no" to (the person's, for every customer with that e-mail, or that
    phone number for SMS and WhatsApp: ``consent.withdraw_everywhere``)."""
    if event.name != "form_submitted":
        return []
    return [kind for kind, key in consent.metadata_keys().items() if consent.word(event.data.get(key)) is False]


def consent_request(event: StoreEvent, customer: Customer) -> tuple[str, list[str]] | None:
    """Where a "yes" that needs the customer's confirmation came from and the kinds it asks for
    (those not given yet), or None (read before ``apply_event``, which remembers the value). The
    confirmation goes by e-mail, so a customer without an address is not asked — and it asks for
    e-mail only: its link proves the address it went to, not a phone number whoever filled the form
    or checkout typed (``feedback.views.opt_in``). A guest's or a form's SMS or WhatsApp "yes" is
    therefore not recorded (Masa does not text a number anyone can type, for confirmation or
    otherwise); that consent comes from the customer's account, the store, or an opt-in link in a
    message on that channel."""
    asked = {kind: word for kind, word in _words(event, customer, remember=False).items()
             if word.confirm and kind == "email" and not consent.given(customer, kind)}
    if not asked or not customer.email:
        return None
    return next(iter(asked.values())).source, [kind for kind in consent.KINDS if kind in asked]


# The Django signal keyword (masa.signals.django_signals) that gives each kind: the store's own word.
SIGNAL_KEYS = {"email": "marketing_consent", "sms": "sms_consent", "whatsapp": "whatsapp_consent"}


def _words(event: StoreEvent, customer: Customer, remember: bool) -> dict[str, ConsentWord]:
    data, keys = event.data, consent.metadata_keys()
    if event.name == "unsubscribed":  # ``channels``: a phone's message whose channel was deleted (SMS or WhatsApp)
        kinds = [kind for kind in data["channels"] if kind in consent.FIELDS] \
            if isinstance(data.get("channels"), list) else []
        return {kind: ConsentWord(False, _stopped_by(data))
                for kind in kinds or [consent.kind_for_channel(str(data.get("channel") or "email"))]}
    if event.name == "marketing_opted_in":
        return {kind: ConsentWord(True, str(data.get("source") or "opt-in link")) for kind in _opted_in_kinds(data)}
    if event.name == "form_submitted":  # the visitor's answers, whatever the site named them
        words = {kind: consent.word(data[key]) for kind, key in keys.items() if key in data}
        source = f"form {data.get('form', '')}".strip()
        return {kind: ConsentWord(value, source, confirm=value is True) for kind, value in words.items()
                if value is not None}
    found = {kind: ConsentWord(data[name], "the store") for kind, name in SIGNAL_KEYS.items()
             if isinstance(data.get(name), bool)}  # an in-process store says so (Django signals)
    where = {"customer_created": "customer", "customer_updated": "customer"}.get(event.name)
    places = [("metadata", f"Saleor {where} metadata", False)] if where else [
        ("user_metadata", "Saleor customer metadata", False)]
    if not where and not customer.store_id:
        kind = "checkout" if event.name == "checkout_updated" else "order"
        places.append(("metadata", f"Saleor {kind} metadata", True))
    for kind, key in keys.items():
        if kind in found:
            continue
        for field, source, confirm in places:
            raw = (data.get(field) or {}).get(key)
            value = consent.word(raw)
            if value is None:
                continue
            known = customer.store_metadata or {}
            if consent.word(known.get(key)) != value:
                if remember:
                    customer.store_metadata = {**known, key: raw}
                found[kind] = ConsentWord(value, source, confirm=confirm and value is True)
            break
    return found


def _stopped_by(data: dict) -> str:
    """Where an unsubscribe came from, in the words stored with the consent: Masa's unsubscribe
    page says so (``source``); a complaint is a message marked as spam; on WhatsApp or SMS without a
    link it is the customer's reply (STOP, or Meta's opt-out)."""
    if isinstance(data.get("source"), str) and data["source"]:
        return data["source"]
    if data.get("complaint"):
        return "marked as spam"
    if data.get("channel") in STOP_REPLIES:
        return STOP_REPLIES[data["channel"]]
    return "unsubscribe link"


STOP_REPLIES = {"whatsapp": "asked to stop on WhatsApp", "sms": "asked to stop by SMS"}


def _opted_in_kinds(data: dict) -> list[str]:
    """The kinds an opt-in gives: those its confirmation asked for, else its message's channel's."""
    asked = [kind for kind in data.get("channels") or [] if kind in consent.FIELDS] \
        if isinstance(data.get("channels"), list) else []
    return asked or [consent.kind_for_channel(str(data.get("channel") or "email"))]


# What a rule can see of a customer update (its event fact and the store fields it sets).
PROFILE_FIELDS = ("store_id", "email", "first_name", "last_name", "phone", "country", "locale", "metadata")


def same_profile_as_before(customer: Customer, event: StoreEvent) -> bool:
    """Whether this customer update carries what the customer's previous one did, in every field a
    rule can see (only private metadata, e.g. Masa's own ``masa.*`` writes, or nothing differs)."""
    previous = (StoreEvent.objects.filter(customer=customer, name__in=("customer_created", "customer_updated"),
                                          occurred_at__lte=event.occurred_at)
                .exclude(pk=event.pk).exclude(status=StoreEvent.Status.FAILED)
                .order_by("-occurred_at", "-pk").values_list("data", flat=True).first())
    return previous is not None and all(previous.get(name) == event.data.get(name) for name in PROFILE_FIELDS)


def reversed_orders(customer: Customer) -> set[str]:
    """The customer's orders that were cancelled or fully refunded."""
    rows = StoreEvent.objects.filter(customer=customer, name__in=REVERSALS).values_list("name", "data")
    return {data.get("order_id") for name, data in rows
            if data.get("order_id") and (name == "order_cancelled" or data.get("fully_refunded"))}


def recompute_purchases(customer: Customer) -> list[str]:
    """The purchase facts again from the customer's orders that still stand (not cancelled or
    fully refunded), in the order they were placed; returns the purchase fields."""
    gone = reversed_orders(customer)
    customer.orders_count, customer.total_spent = 0, Decimal("0")
    customer.first_order_at = customer.last_order_at = None
    customer.order_times, customer.last_bought_product = [], {}
    customer.category_counts, customer.last_bought_category, customer.category_times = {}, {}, {}
    purchases = (StoreEvent.objects.filter(customer=customer, name__in=("order_placed", "category_bought"))
                 .exclude(status=StoreEvent.Status.FAILED).order_by("occurred_at", "pk"))
    for purchase in purchases:
        if purchase.data.get("order_id") not in gone:
            _apply_event(customer, purchase)
    return list(PURCHASE_FIELDS)


def _apply_event(customer: Customer, event: StoreEvent, protected: frozenset = frozenset()) -> list[str]:
    data, when = event.data, event.occurred_at
    if event.name in REVERSALS and (event.name == "order_cancelled" or data.get("fully_refunded")):
        return recompute_purchases(customer)
    if event.name == "order_placed":
        customer.orders_count += 1
        customer.total_spent = Decimal(customer.total_spent) + Decimal(str(data.get("total", 0)))
        customer.currency = data.get("currency") or customer.currency
        customer.first_order_at = min(filter(None, [customer.first_order_at, when]))
        customer.last_order_at = max(filter(None, [customer.last_order_at, when]))
        customer.order_times = _add_time(customer.order_times, when)
        takes_phone = not customer.phone and data.get("phone") and not _guest_on_account(event, customer)
        phone = ["phone"] if takes_phone else []
        customer.phone = data["phone"] if takes_phone else customer.phone
        for line in data.get("lines", []):
            if line.get("product_id"):
                customer.last_bought_product[line["product_id"]] = _later(
                    customer.last_bought_product.get(line["product_id"]), when
                )
        return ["orders_count", "total_spent", "currency", "first_order_at", "last_order_at",
                "order_times", "last_bought_product", *phone]
    if event.name == "category_bought":
        category = data["category"]
        customer.category_counts[category] = customer.category_counts.get(category, 0) + 1
        customer.last_bought_category[category] = _later(customer.last_bought_category.get(category), when)
        customer.category_times[category] = _add_time(customer.category_times.get(category, []), when)
        return ["category_counts", "last_bought_category", "category_times"]
    if event.name in ("customer_created", "customer_updated"):
        changed = []
        for name in ("email", "first_name", "last_name", "phone"):
            value = person_name(data.get(name)) if name in ("first_name", "last_name") else data.get(name)
            if value and getattr(customer, name) != value:
                setattr(customer, name, value)
                changed.append(name)
        previous = customer.store_metadata or {}
        if data.get("metadata") is not None and customer.store_metadata != data["metadata"]:
            customer.store_metadata = data["metadata"]
            changed.append("store_metadata")
        profile = {k.removeprefix(METADATA_PREFIX): v for k, v in (data.get("metadata") or {}).items()
                   if k.startswith(METADATA_PREFIX) and v not in (None, "")
                   and k.removeprefix(METADATA_PREFIX) not in protected}
        new_facts = {k: v for k, v in profile.items() if (customer.facts or {}).get(k) != v}
        # A key the store removed or emptied takes its fact away (only when the metadata was sent).
        cleared = {k.removeprefix(METADATA_PREFIX) for k, v in previous.items()
                   if k.startswith(METADATA_PREFIX) and v not in (None, "")} - set(profile) \
            if data.get("metadata") is not None else set()
        cleared = (cleared & set(customer.facts or {})) - protected
        if new_facts or cleared:
            customer.facts = {k: v for k, v in {**(customer.facts or {}), **new_facts}.items() if k not in cleared}
            changed.append("facts")
        return changed
    if event.name == "list_joined" and data.get("list"):
        tag = LIST_TAG + data["list"]
        if tag not in (customer.tags or []):
            customer.tags = [*(customer.tags or []), tag]
            return ["tags"]
    return []


def profile_changes(before: dict, customer: Customer) -> list[dict]:
    """Change facts for the customer facts an event changed (e.g. a birthday set in the store)."""
    after = customer.facts or {}
    changes = []
    for name, value in after.items():
        if before.get(name) != value and isinstance(value, (str, int, float, bool)):
            change = {"kind": "change", "fact": name, "new": value}
            if before.get(name) is not None:
                change["old"] = before[name]
            changes.append(change)
    for name in sorted(set(before) - set(after)):
        if isinstance(before[name], (str, int, float, bool)):
            changes.append({"kind": "change", "fact": name, "new": "", "old": before[name], "removed": True})
    return changes


def apply_effect(customer: Customer, effect: dict, at: datetime) -> dict | None:
    """Apply a set / increment / tag / untag / stamp / pause at time ``at``; return the change fact,
    or None if nothing changed."""
    op, name, value = effect["op"], effect["fact"], effect["value"]
    if op == "stamp":
        op, value = "set", at.isoformat()
    elif op == "pause":
        until = at + timedelta(seconds=value)
        current = as_time((customer.facts or {}).get(name))
        op, value = "set", max(filter(None, [current, until])).isoformat()
    if op in ("tag", "untag"):
        tags = list(customer.tags or [])
        if (value in tags) == (op == "tag"):
            return None
        customer.tags = tags + [value] if op == "tag" else [t for t in tags if t != value]
        return {"kind": "change", "fact": f"tag:{value}" if op == "tag" else f"untag:{value}", "new": True}
    old = (customer.facts or {}).get(name)
    new = value if op == "set" else (old if isinstance(old, (int, float)) else 0) + value
    if old == new:
        return None
    customer.facts = {**(customer.facts or {}), name: new}
    change = {"kind": "change", "fact": name, "new": new}
    if old is not None:
        change["old"] = old
    return change


def _add_time(times: list, when: datetime) -> list:
    iso = when.isoformat()
    return sorted({*times, iso})[-MAX_TIMES:]


def _later(stored_iso: str | None, when) -> str:
    candidate = when.isoformat()
    return max(stored_iso, candidate) if stored_iso else candidate


def _days_between(earlier_iso: str, at: datetime) -> float:
    return round((at - parse_datetime(earlier_iso)).total_seconds() / DAY, 3)


ALWAYS_KEPT = ("id", "kind", "type")


def only(fact: dict, keys) -> dict:
    """The fact with just the properties rules read (``keys``; None: all): the rules engine takes at
    most 255 properties per fact, and a customer who bought 300 products must still be evaluated."""
    if keys is None:
        return fact
    return {name: value for name, value in fact.items() if name in keys or name in ALWAYS_KEPT}


def customer_fact(customer: Customer, at: datetime, windows=(), keys=None) -> dict:
    """The customer as one flat engine fact, with times measured at ``at`` (the event's time);
    with ``keys``, only the properties rules read."""
    fact = {
        "id": f"customer:{customer.pk}",
        "kind": "customer",
        "orders_count": customer.orders_count,
        "total_spent": float(customer.total_spent),
        "marketing_consent": customer.marketing_consent,   # e-mail's (as before consent per channel)
        **{f"consent_{kind}": consent.given(customer, kind) for kind in consent.KINDS},
        "locale": customer.locale,
        "time_zone": customer.time_zone,
        "email": customer.email,
    }
    for name, value in (customer.facts or {}).items():
        if isinstance(value, (str, int, float, bool)):
            fact[factkeys.fact(name)] = value
        moment = as_time(value)
        if moment is not None:
            fact[factkeys.since_fact(name)] = round((at - moment).total_seconds() / DAY, 3)
    for category, count in (customer.category_counts or {}).items():
        if count:
            fact[factkeys.category(category)] = count
    for category, last in (customer.last_bought_category or {}).items():
        fact[factkeys.since_category(category)] = _days_between(last, at)
    for product_id in customer.last_bought_product or {}:
        fact[factkeys.product(product_id)] = 1
    for tag in customer.tags or []:
        fact[factkeys.tag(tag)] = True
    for kind, field in factkeys.REACHABLE.items():
        if str(getattr(customer, field, "") or "").strip():
            fact[factkeys.reach(kind)] = True
    if customer.last_order_at:
        fact["since__last_order"] = round((at - customer.last_order_at).total_seconds() / DAY, 3)
    if customer.first_order_at:
        fact["since__first_order"] = round((at - customer.first_order_at).total_seconds() / DAY, 3)
    interval = median_interval_days(customer.order_times or [])
    if interval is not None:
        fact["median_order_interval_days"] = round(interval, 3)
    for seconds in windows:
        start = at.timestamp() - seconds
        fact[factkeys.orders_within(seconds)] = sum(
            1 for t in customer.order_times or [] if start <= parse_datetime(t).timestamp() <= at.timestamp()
        )
    return only(fact, keys)


def event_fact(event: StoreEvent, keys=None) -> dict:
    fact = {"id": f"event:{event.pk}", "kind": "event", "type": event.name}
    for name, value in event.data.items():
        if isinstance(value, (str, int, float, bool)):
            fact[name] = value
        elif isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
            fact[name] = value
    return only(fact, keys)
