"""A customer's communication timeline as the owner reads it (seed 003, "ציר התקשורות"): one line
per thing that happened to the person — a message received, opened, clicked, answered, bounced, an
unsubscribe or spam complaint, an order — newest first, in words. What Masa decided (a journey
started, a send skipped and why) is folded under the line it explains; internal ids are kept apart
for the collapsed "details". ``reports.timeline`` stays the engineer's full record."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from .. import events, message_versions, preference
from ..models import Customer, CustomerNote, Delivery, OrderChange, RuleFiring, ScheduledAction, StoreEvent
from ..rules import takeback
from ..money import format_money
from ..rendering import TemplateError, find_template, merge_context, render, sample_links
from ..timezones import customer_zone

GROUPS = ("messages", "orders", "journeys")
LIMIT = 300


@dataclass
class Line:
    """One thing that happened. ``text`` is a translated sentence with its data in ``<bdi>``;
    ``why`` what Masa decided about it, ``ids`` the internal references (both shown collapsed)."""
    at: datetime
    group: str
    kind: str
    text: SafeString
    detail: str = ""
    delivery: Delivery | None = None
    about: Delivery | None = None  # the message an open, click or bounce is about (linked)
    why: list[str] = field(default_factory=list)
    ids: list[tuple[str, str]] = field(default_factory=list)
    note: CustomerNote | None = None


def data(value) -> SafeString:
    """A piece of the customer's data inside a translated sentence, isolated for right-to-left."""
    return format_html("<bdi>{}</bdi>", value)


def quoted(value) -> SafeString:
    """A name or subject in the language's quotation marks, isolated: “…” in English, „…” in Hebrew."""
    return format_html(_("“{value}”"), value=data(value))


def say(sentence: str, **values) -> SafeString:
    """``sentence`` (translated, "{name}" placeholders) with each value escaped."""
    return format_html(sentence, **values)


def plain(text: str) -> SafeString:
    """A translated sentence with no data in it, escaped."""
    return format_html("{}", text)


def local_time(at: datetime) -> str:
    """A moment as the admin reads it, in their language: "6 December 2026, 14:05"."""
    return formats.date_format(timezone.localtime(at), "j F Y, H:i")


def their_time(at: datetime, customer: Customer) -> str:
    """A moment in the customer's zone and, when it differs, the admin's, in the admin's language:
    "26 December, 21:19 their time (19:19 yours)"."""
    theirs = formats.date_format(at.astimezone(customer_zone(customer)), "j F, H:i")
    yours = timezone.localtime(at)
    if at.astimezone(customer_zone(customer)).utcoffset() == yours.utcoffset():
        return _("%(when)s their time") % {"when": theirs}
    return _("%(when)s their time (%(time)s yours)") % {"when": theirs, "time": formats.time_format(yours, "H:i")}


def channel_words(delivery: Delivery) -> SafeString:
    kind = delivery.channel.kind if delivery.channel else ""
    named = {"email": _("email"), "sms": _("SMS"), "whatsapp": _("WhatsApp")}.get(kind)
    return plain(named) if named else data(delivery.channel.name if delivery.channel else "?")


def message_title(delivery: Delivery) -> str:
    """What the owner recognises a message by: its subject, or the start of an SMS."""
    if delivery.subject:
        return delivery.subject
    text = " ".join(delivery.body.split())
    return text if len(text) <= 60 else f"{text[:57]}…"


def _message_line(delivery: Delivery, firing_why: dict) -> Line:
    title, channel = quoted(message_title(delivery)), channel_words(delivery)
    status = delivery.status
    if status == Delivery.Status.DELIVERED:
        text, kind = say(_("Received {message} by {channel}"), message=title, channel=channel), "received"
    elif status in (Delivery.Status.FAILED, Delivery.Status.DEAD):
        text, kind = say(_("Could not send {message} by {channel}"), message=title, channel=channel), "failed"
    elif status == Delivery.Status.PENDING:
        text, kind = say(_("Sending {message} by {channel}"), message=title, channel=channel), "sending"
    else:
        text, kind = say(_("Sent {message} by {channel}"), message=title, channel=channel), "sent"
    action = delivery.action
    why = list(firing_why.get(action.firing_id, [])) if action is not None and action.firing_id else []
    if action is not None and action.channel_choice:
        why += channel_choice_why(action)
    if action is not None and action.params.get("personal"):
        why.append(_("Written by {name} on the customer's page.").format(name=action.params.get("by") or _("staff")))
        why.append(_("A service message (no consent needed).") if action.params.get("class") == "transactional"
                   else _("A marketing message: sent only with the customer's consent."))
    if delivery.error:
        why.append(delivery.error)
    ids = [(_("message"), delivery.idempotency_key), (_("sent to"), delivery.to)]
    if delivery.template_key:
        ids.append((_("message text"), delivery.template_key))
    if delivery.provider_message_id:
        ids.append((_("provider id"), delivery.provider_message_id))
    return Line(delivery.sent_at or delivery.created_at, "messages", kind, text, delivery=delivery, why=why, ids=ids)


FEEDBACK = {
    "message_opened": ("opened", lambda m, d: say(_("Opened {message}"), message=m)),
    "message_read": ("opened", lambda m, d: say(_("Read {message} on WhatsApp"), message=m)),
    "message_replied": ("answered", lambda m, d: say(
        _("Replied to {message} by SMS") if d.get("channel") == "sms" else _("Replied to {message} on WhatsApp"),
        message=m)),
    "message_clicked": ("clicked", lambda m, d: say(_("Clicked a link in {message}"), message=m)),
    "message_bounced": ("bounced", lambda m, d: say(_("{message} bounced: it did not reach the customer"), message=m)),
    "survey_answered": ("answered", lambda m, d: say(_("Answered {answer} in {message}"), message=m,
                                                     answer=quoted(d.get("answer", "")))),
    "list_joined": ("answered", lambda m, d: say(_("Joined the list {name} from {message}"), message=m,
                                                 name=quoted(d.get("list", "")))),
}


STAFF_STOPPED = {
    "email": lambda: _("{user} recorded that the customer wants no more marketing by e-mail"),
    "sms": lambda: _("{user} recorded that the customer wants no more marketing by SMS"),
    "whatsapp": lambda: _("{user} recorded that the customer wants no more marketing on WhatsApp"),
}
# An unsubscribe stops its channel's marketing only (``masa.consent``); one stored before consent
# per channel names none and was e-mail's.
UNSUBSCRIBED = {
    "email": lambda: _("Unsubscribed through {message}: no more marketing by e-mail"),
    "sms": lambda: _("Unsubscribed through {message}: no more marketing by SMS"),
    "whatsapp": lambda: _("Unsubscribed through {message}: no more marketing on WhatsApp"),
}


def _feedback_line(event: StoreEvent, deliveries: dict) -> Line:
    info = event.data or {}
    delivery = deliveries.get(info.get("delivery", ""))
    message = quoted(message_title(delivery)) if delivery else plain(_("a message"))
    if event.name == "unsubscribed":
        kind = "spam" if info.get("complaint") else "unsubscribed"
        text = (say(_("Marked {message} as spam: no more marketing"), message=message) if kind == "spam" else
                say(UNSUBSCRIBED.get(info.get("channel"), UNSUBSCRIBED["email"])(), message=message))
    elif event.name == "message_replied" and delivery is None:
        kind, text = "answered", plain(_("Wrote by SMS") if info.get("channel") == "sms" else _("Wrote on WhatsApp"))
    else:
        kind, words = FEEDBACK[event.name]
        text = words(message, info)
    line = Line(event.occurred_at, "messages", kind, text, about=delivery, ids=[(_("event"), str(event.pk))])
    if info.get("url"):
        line.detail = info["url"]
    if event.name == "message_replied" and info.get("text"):
        line.detail = info["text"]  # the customer's words: plain text, escaped where shown
    if info.get("reason"):
        line.why.append(info["reason"])
    return line


ORDER_WORDS = {
    "order_placed": ("ordered", lambda n: _("Ordered #{number}").format(number=n)),
    "order_paid": ("paid", lambda n: _("Paid for order #{number}").format(number=n)),
    "order_fulfilled": ("shipped", lambda n: _("Order #{number} shipped").format(number=n)),
    "order_cancelled": ("cancelled", lambda n: _("Order #{number} cancelled").format(number=n)),
    "order_refunded": ("refunded", lambda n: _("Order #{number} refunded").format(number=n)),
}


def _items(info: dict) -> str:
    lines = [line for line in info.get("lines") or [] if isinstance(line, dict)]
    return ", ".join(f"{line.get('product_name') or line.get('sku') or '?'} ×{line.get('quantity', 1)}"
                     for line in lines[:6])


def _order_line(event: StoreEvent, bookkeeping: dict) -> Line:
    info = event.data or {}
    kind, words = ORDER_WORDS[event.name]
    number = info.get("number") or info.get("order_id") or ""
    text = plain(words(number))
    if info.get("total") not in (None, ""):
        text = say(_("{what} — {amount}"), what=text, amount=format_money(info["total"], info.get("currency", "")))
    line = Line(event.occurred_at, "orders", kind, text, detail=_items(info), why=list(bookkeeping.get(event.pk, [])),
                ids=[(_("event"), str(event.pk)), (_("order"), str(info.get("order_id", "")))])
    return line


def _fact_change(name: str, value) -> str:
    name = str(name)
    if name.startswith("tag:"):
        return _("tag {tag}").format(tag=name[4:])
    return f"{name.replace('_', ' ')} → {value}"


def _firings(customer: Customer, rules_sending: set[int]) -> tuple[dict, dict, list[Line]]:
    """Why each message went (its journey and what started it), what bookkeeping rules noted on
    each event, and one line per journey started."""
    firing_why: dict[int, list[str]] = {}
    bookkeeping: dict[int, list[str]] = {}
    lines: list[Line] = []
    firings = (RuleFiring.objects.filter(customer=customer).select_related("rule", "event")
               .order_by("-fired_at")[:LIMIT])
    for firing in firings:
        cause = events.words(firing.event.name, firing.event.data)
        because = _("The journey {rule} started on {when}, after: {cause}.").format(
            rule=firing.rule.title, when=local_time(firing.event.occurred_at), cause=cause)
        firing_why[firing.pk] = [because]
        changes = [_fact_change(name, value) for name, value in (firing.facts_set or {}).items()]
        if firing.rule_id not in rules_sending:
            noted = _("{rule} noted: {changes}").format(rule=firing.rule.title, changes=", ".join(changes)) \
                if changes else _("{rule} ran").format(rule=firing.rule.title)
            bookkeeping.setdefault(firing.event_id, []).append(noted)
            continue
        line = Line(firing.event.occurred_at, "journeys", "journey",
                    say(_("Started the journey {rule}"), rule=quoted(firing.rule.title)),
                    why=[_("After: {cause}.").format(cause=cause), *changes],
                    ids=[(_("journey"), firing.rule.rule_id), (_("version"), str(firing.rule_version)),
                         (_("event"), str(firing.event_id))])
        lines.append(line)
    return firing_why, bookkeeping, lines


def _taken_back(customer: Customer, bookkeeping: dict) -> None:
    """Under a cancellation or full refund: what it took back (``rules.takeback``), in words."""
    changes = (OrderChange.objects.filter(customer=customer, taken_back_by__isnull=False)
               .order_by("-pk")[:LIMIT])
    for change in changes:
        name = str(change.fact)
        if not change.restored and change.before == change.after:
            continue  # the order only said again what the customer already had: nothing to say
        if not change.restored:
            said = _("Kept {change}: set again or changed after the order").format(
                change=_fact_change(name, change.after))
        elif name.startswith("tag:"):
            said = _("Taken back with the order: tag {tag} removed").format(tag=name[4:])
        elif change.restored_to is None:
            said = _("Taken back with the order: {fact} cleared").format(fact=name.replace("_", " "))
        else:
            said = _("Taken back with the order: {change}").format(change=_fact_change(name, change.restored_to))
        bookkeeping.setdefault(change.taken_back_by_id, []).append(said)
    freed = RuleFiring.objects.filter(customer=customer, scope_key__contains=takeback.FREED).select_related("rule")
    for firing in freed[:LIMIT]:
        by = firing.scope_key.rsplit(takeback.FREED, 1)[1]
        if by.isdigit():
            bookkeeping.setdefault(int(by), []).append(
                _("The journey {rule} can start again for this customer").format(rule=firing.rule.title))


def planned(action: ScheduledAction, describe) -> str:
    """What a step does for this customer: a message by the subject they would read ("send “Time
    to restock, Ruth?”"), else as its rule's sentence says it."""
    key = (action.params or {}).get("template")
    if action.kind == "send" and key:
        try:
            template = find_template(key, action.customer.locale,
                                     message_versions.step_kind(action.params, action.channel_choice))
            rendered = render(template, {**merge_context(action.customer, action.event), **sample_links()})
        except (TemplateError, KeyError, AttributeError):
            return describe(action)
        title = rendered.subject or " ".join(rendered.body.split())[:60]
        return _("send “%(message)s”") % {"message": title}
    return describe(action)


def channel_choice_why(action: ScheduledAction) -> list[str]:
    """Why a ``channel: preferred`` send went where it went, or could go nowhere, and what was passed over."""
    choice = action.channel_choice or {}
    listed = (action.params or {}).get("channels") or []
    return [said for said in [preference.choice_words(choice), *preference.passed_over_words(choice, listed)] if said]


def _not_sent_line(action: ScheduledAction, describe) -> Line:
    rule = action.rule.title if action.rule else _("Masa")
    what = planned(action, describe)
    ids = [(_("scheduled action"), str(action.pk)), (_("step"), action.path or str(action.step))]
    at = action.completed_at or action.due_at
    if action.held_out:
        return Line(at, "journeys", "held-out",
                    say(_("Held back in {rule}: not sent, to measure what the journey earns"), rule=quoted(rule)),
                    why=[what], ids=ids)
    if action.status == ScheduledAction.Status.FAILED:
        return Line(at, "journeys", "failed", say(_("Could not do a step of {rule}"), rule=quoted(rule)),
                    why=[what, action.last_error], ids=ids)
    nowhere = bool(action.channel_choice) and not action.channel_choice.get("chosen")  # no listed channel could go
    reason = channel_choice_why(action) if nowhere else [action.cancel_reason]
    return Line(at, "journeys", "skipped", say(_("Skipped a step of {rule}"), rule=quoted(rule)),
                why=[what, *reason], ids=ids)


OTHER_EVENTS = {
    "marketing_opted_in": ("messages", "consent", lambda d: plain(_("Agreed to marketing messages"))),
    "customer_created": ("orders", "signed-up", lambda d: plain(_("Opened an account in the store"))),
    "form_submitted": ("messages", "answered",
                       lambda d: say(_("Sent the form {form}"), form=quoted(d.get("form", "")))),
    "cart_abandoned": ("orders", "cart", lambda d: say(_("Left a cart of {amount} without ordering"),
                                                       amount=format_money(d.get("total"), d.get("currency", "")))),
    "manual_trigger": ("journeys", "journey", lambda d: say(_("{name} started a journey by hand"),
                                                            name=data(d.get("by") or _("staff")))),
    events.RULE_EFFECT: ("journeys", "journey", lambda d: say(_("A journey updated the customer: {change}"),
                                                              change=data(_fact_change(
                                                                  (d.get("effect") or {}).get("fact", ""),
                                                                  (d.get("effect") or {}).get("value", ""))))),
}

STAFF_LOG = {
    "masa.customer.tag": lambda d: _("{user} added the tag {tag}"),
    "masa.customer.unsubscribe": lambda d: (
        _("{user} recorded that the customer wants no more marketing") if len(d.get("channels") or []) != 1 else
        STAFF_STOPPED.get(d["channels"][0], lambda: _("{user} recorded that the customer wants no more marketing"))()),
    "masa.action.cancel": lambda d: _("{user} cancelled a waiting step"),
}


def _staff_lines(customer: Customer) -> list[Line]:
    lines = []
    for note in CustomerNote.objects.filter(customer=customer).select_related("author", "remind")[:LIMIT]:
        author = note.author.get_full_name() or note.author.get_username() if note.author else _("staff")
        lines.append(Line(note.created_at, "staff", "note", say(_("Note by {name}"), name=data(author)), note=note))
    entries = ModelLogEntry.objects.filter(content_type__model="customer", content_type__app_label="masa",
                                           object_id=str(customer.pk), action__in=STAFF_LOG).select_related("user")
    for entry in entries.order_by("-timestamp")[:LIMIT]:
        user = entry.user.get_username() if entry.user else _("staff")
        text = format_html(STAFF_LOG[entry.action](entry.data), user=data(user),
                           tag=quoted((entry.data or {}).get("tag", "")))
        lines.append(Line(entry.timestamp, "staff", "staff", text))
    return lines


def story(customer: Customer, describe, group: str = "") -> list[Line]:
    """Everything that happened to ``customer``, newest first; ``group`` keeps one of ``GROUPS``."""
    to_them = (Delivery.objects.filter(customer=customer).exclude(action__kind="notify_staff")
               .select_related("channel", "action").order_by("-created_at")[:LIMIT])
    deliveries = {delivery.idempotency_key: delivery for delivery in to_them}
    rules_sending = set(ScheduledAction.objects.filter(customer=customer, kind__in=("send", "notify_staff"))
                        .values_list("rule_id", flat=True))
    firing_why, bookkeeping, lines = _firings(customer, rules_sending)
    _taken_back(customer, bookkeeping)
    lines += [_message_line(delivery, firing_why) for delivery in deliveries.values()]
    wanted = {*FEEDBACK, "unsubscribed", *ORDER_WORDS, *OTHER_EVENTS}
    for event in customer.events.filter(name__in=wanted).order_by("-occurred_at", "-pk")[:LIMIT]:
        if event.name in ORDER_WORDS:
            lines.append(_order_line(event, bookkeeping))
        elif event.name in OTHER_EVENTS:
            where, kind, words = OTHER_EVENTS[event.name]
            lines.append(Line(event.occurred_at, where, kind, words(event.data or {}),
                              why=list(bookkeeping.get(event.pk, [])), ids=[(_("event"), str(event.pk))]))
        else:
            line = _feedback_line(event, deliveries)
            line.why += bookkeeping.get(event.pk, [])
            lines.append(line)
    not_sent = (ScheduledAction.objects.filter(customer=customer, kind__in=("send", "notify_staff"))
                .filter(status__in=(ScheduledAction.Status.CANCELLED, ScheduledAction.Status.FAILED))
                .select_related("rule", "event", "customer").order_by("-due_at")[:LIMIT])
    held = (ScheduledAction.objects.filter(customer=customer, held_out=True)
            .select_related("rule", "event", "customer")[:LIMIT])
    lines += [_not_sent_line(action, describe) for action in [*not_sent, *held]]
    lines += _staff_lines(customer)
    if group in GROUPS:
        lines = [line for line in lines if line.group == group]
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines
