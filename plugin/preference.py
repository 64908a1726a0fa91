"""The preferred channel: which channel a customer answers on, learned from their own history
(seed 003: "if they open emails but ignore SMS, change the channel of their next message").

``history`` counts, per channel kind, the messages handed to the provider (Deliveries in
``SENT_STATUSES``) and what came back from them (message StoreEvents): a message *responded* to is
one that was opened, read (a WhatsApp read receipt), clicked or replied to. ``rate`` is that share
with a prior (``MASA["PREFERRED_CHANNEL_PRIOR"]``, by default 1 answer in 4 messages, as if every
channel had started with that record), so one or two messages do not decide, and a bounce or an
unsubscribe counts once more against its channel.

``choose`` takes a ``channel: preferred`` send's listed channels in order, passes over those that
cannot carry this message now (no enabled channel, no address, no consent for a marketing
message, WhatsApp's 24-hour window closed and no approved template), and picks the highest rate
(ties: the listed order). A stable share of customers per rule (the comparison group,
``MASA["PREFERRED_CHANNEL_COMPARISON_PERCENT"]``) gets the first reachable listed channel instead,
so a report can tell what choosing earns. What was chosen and why is stored on the action as
``Choice.as_json`` and said in words by ``choice_words`` and ``passed_over_words``.

Who writes what this reads: Deliveries are Masa's own; message events come from Masa's signed
tracking links and the providers' signed callbacks (``feedback/``), so a forged open needs a
signed link. E-mail opens are also counted when a mail app fetches images by itself (Apple's Mail
Privacy Protection): an e-mail open is a weaker signal than a WhatsApp read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from . import conf, consent, message_versions
from .approved_templates import named
from .assignment import in_share
from .models import Channel, Customer, Delivery, MessageTemplate
from .whatsapp_cloud import window_open

PREFERRED = "preferred"
DEFAULT_ORDER = ("whatsapp", "sms", "email")
RESPONSES = ("message_opened", "message_read", "message_clicked", "message_replied")
EVENTS = (*RESPONSES, "message_delivered", "unsubscribed", "message_bounced")
COUNTED = {"message_opened": "opened", "message_read": "read", "message_clicked": "clicked",
           "message_replied": "replied", "message_delivered": "delivered", "message_bounced": "bounced"}
# The comparison's arms: the channel chosen from the history, or the pack's default (first reachable) one.
CHOSEN, DEFAULT = "preferred", "default"


@dataclass
class ChannelHistory:
    """What one customer did with the messages of one channel kind (counts of distinct messages,
    but ``unsubscribed`` and a reply without a message counted per event)."""

    kind: str
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    read: int = 0
    clicked: int = 0
    replied: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    responded: int = 0

    def rate(self, prior: dict | None = None) -> float:
        """The share of messages answered, with the prior: (a + answered) / (a + b + sent + bounced
        + unsubscribed), a = prior answers, a + b = prior messages."""
        prior = prior or prior_setting()
        answers, messages = prior["responses"], prior["messages"]
        return (answers + min(self.responded, self.sent)) / (messages + self.sent + self.bounced + self.unsubscribed)


def prior_setting() -> dict:
    prior = conf.get("PREFERRED_CHANNEL_PRIOR") or {}
    answers, messages = float(prior.get("responses", 1)), float(prior.get("messages", 4))
    if not 0 < answers < messages:
        raise ValueError("MASA['PREFERRED_CHANNEL_PRIOR'] needs 0 < responses < messages")
    return {"responses": answers, "messages": messages}


def history(customer: Customer) -> dict[str, ChannelHistory]:
    """Per channel kind, the customer's messages and what came of them (two queries)."""
    kinds: dict[str, str] = {}
    found: dict[str, ChannelHistory] = {}
    seen: dict[tuple[str, str], set] = {}
    deliveries = (Delivery.objects.filter(customer=customer, channel__isnull=False)
                  .exclude(action__kind="notify_staff").values_list("idempotency_key", "channel__kind", "status"))
    for key, kind, status in deliveries:
        kinds[key] = kind
        if status in Delivery.SENT_STATUSES:
            found.setdefault(kind, ChannelHistory(kind)).sent += 1
        if status == Delivery.Status.DELIVERED:
            seen.setdefault((kind, "delivered"), set()).add(key)
        if status == Delivery.Status.BOUNCED:
            seen.setdefault((kind, "bounced"), set()).add(key)
    unsubscribed: dict[str, int] = {}
    loose_replies: dict[str, int] = {}
    for name, data in customer.events.filter(name__in=EVENTS).values_list("name", "data"):
        data = data if isinstance(data, dict) else {}
        key = str(data.get("delivery") or "")
        kind = kinds.get(key) or str(data.get("channel") or "")
        if kind not in consent.KINDS and key not in kinds:
            continue
        if name == "unsubscribed":
            unsubscribed[kind] = unsubscribed.get(kind, 0) + 1
        elif not key and name == "message_replied":
            loose_replies[kind] = loose_replies.get(kind, 0) + 1
        elif key:
            seen.setdefault((kind, COUNTED[name]), set()).add(key)
            if name in RESPONSES:
                seen.setdefault((kind, "responded"), set()).add(key)
    for (kind, what), keys in seen.items():
        setattr(found.setdefault(kind, ChannelHistory(kind)), what, len(keys))
    for kind, count in unsubscribed.items():
        found.setdefault(kind, ChannelHistory(kind)).unsubscribed = count
    for kind, count in loose_replies.items():
        found.setdefault(kind, ChannelHistory(kind)).replied += count
    return found


@dataclass
class Choice:
    """The channel a preferred send goes on (``chosen``: its name; "" when none can carry it)."""

    chosen: str = ""
    kind: str = ""
    arm: str = CHOSEN
    reason: str = ""
    rates: dict = field(default_factory=dict)
    passed_over: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"chosen": self.chosen, "kind": self.kind, "arm": self.arm, "reason": self.reason,
                "rates": self.rates, "passed_over": self.passed_over}


def in_comparison_group(customer: Customer, scope: str) -> bool:
    """Whether the customer is in the stable share of ``scope`` (a rule) that gets the default channel."""
    percent = conf.get("PREFERRED_CHANNEL_COMPARISON_PERCENT") or 0
    return percent > 0 and in_share(f"preferred:{scope}", customer, 0, percent)


def _enabled(entry: str) -> Channel | None:
    """As ``delivery.route.route``: the enabled channel of this name, else the first of this kind."""
    enabled = Channel.objects.filter(enabled=True)
    return enabled.filter(name=entry).first() or enabled.filter(kind=entry).order_by("pk").first()


def _approved_whatsapp_template(template: str, locale: str) -> bool:
    """Whether the text this customer would get on WhatsApp (their language's, ``message_versions.pick``)
    names an approved template: another language's template does not carry theirs."""
    row = message_versions.pick(MessageTemplate.objects.filter(key=template), locale, Channel.Kind.WHATSAPP)
    return row is not None and named(row.provider_template)


def _passed_over(customer, channel: Channel | None, marketing: bool, now: datetime, template: str | None,
                 address_fields: dict) -> str:
    """Why this channel cannot carry the message now (a reason code), or ""."""
    if channel is None or channel.kind not in address_fields:
        return "no_channel"
    address = address_fields[channel.kind]
    if not getattr(customer, address, ""):
        return {"phone": "no_phone", "email": "no_email"}.get(address, "no_address")
    if marketing and not consent.given(customer, consent.kind_for_channel(channel.kind)):
        return "no_consent"
    if (channel.kind == Channel.Kind.WHATSAPP and template is not None
            and not window_open(customer.whatsapp_wrote_at, now) and not _approved_whatsapp_template(template, customer.locale)):
        return "window_closed_no_template"
    return ""


def choose(customer: Customer, channels: list[str], marketing: bool, now: datetime, *, template: str | None,
           address_fields: dict[str, str], scope: str | None = None, known: dict | None = None) -> Choice:
    """The channel of ``channels`` (names or kinds, in the pack's order) this message goes on.
    ``address_fields``: channel kind → the Customer field its backend sends to (a kind without one
    has no backend); ``template``: the message (None: do not ask about WhatsApp's window);
    ``scope``: the comparison group's (the rule's id; None: no comparison group)."""
    known = history(customer) if known is None else known
    prior = prior_setting()
    choice = Choice()
    reachable: list[Channel] = []
    for entry in channels:
        channel = _enabled(entry)
        reason = _passed_over(customer, channel, marketing, now, template, address_fields)
        if reason:
            choice.passed_over[entry] = reason
        elif channel.pk not in {c.pk for c in reachable}:
            reachable.append(channel)
    for channel in reachable:
        past = known.get(channel.kind) or ChannelHistory(channel.kind)
        choice.rates[channel.kind] = [min(past.responded, past.sent), past.sent]
    if not reachable:
        return choice
    if scope is not None and in_comparison_group(customer, scope):
        best, choice.arm, choice.reason = reachable[0], DEFAULT, "comparison_group"
    else:
        rates = [(known.get(c.kind) or ChannelHistory(c.kind)).rate(prior) for c in reachable]
        top = max(rates)
        best = reachable[rates.index(top)]
        if len(reachable) == 1:
            choice.reason = "only_reachable"
        elif not any(choice.rates[c.kind][1] for c in reachable):
            choice.reason = "no_history"
        elif rates.count(top) > 1:
            choice.reason = "same_response"
        else:
            choice.reason = "better_response"
    choice.chosen, choice.kind = best.name, best.kind
    return choice


# Words: everything below is said in the admin's language when the page is drawn.

def kind_name(kind: str) -> str:
    return {"email": _("email"), "sms": _("SMS"), "whatsapp": _("WhatsApp"), "webhook": _("the shop's webhook")}.get(
        kind, kind)


def sent_on(kind: str, name: str = "") -> str:
    """ "Sent on WhatsApp", "Sent by email"."""
    said = {"email": _("Sent by email"), "sms": _("Sent by SMS"), "whatsapp": _("Sent on WhatsApp")}.get(kind)
    return said or _("Sent through %(channel)s") % {"channel": name or kind}


def answers(kind: str, responded: int, sent: int) -> str:
    """What the customer does with a kind's messages: "reads 9 of 10 WhatsApp messages"."""
    values = {"n": responded, "m": sent}
    if kind == "whatsapp":
        return ngettext("reads %(n)d of %(m)d WhatsApp message", "reads %(n)d of %(m)d WhatsApp messages",
                        sent) % values
    if kind == "email":
        return ngettext("opens %(n)d of %(m)d email", "opens %(n)d of %(m)d emails", sent) % values
    if kind == "sms":
        return ngettext("answers %(n)d of %(m)d text message", "answers %(n)d of %(m)d text messages", sent) % values
    return ngettext("answers %(n)d of %(m)d message on %(channel)s", "answers %(n)d of %(m)d messages on %(channel)s",
                    sent) % {**values, "channel": kind}


REASONS = {
    "no_consent": lambda: _("no consent for it"),
    "no_phone": lambda: _("no phone number"),
    "no_email": lambda: _("no email address"),
    "no_address": lambda: _("no address for it"),
    "no_channel": lambda: _("no such channel is set up and switched on"),
    "window_closed_no_template": lambda: _("the customer has not written on WhatsApp in the last 24 hours and the "
                                           "message has no approved WhatsApp template"),
}


def reason_words(code: str) -> str:
    words = REASONS.get(code)
    return words() if words else code.replace("_", " ")


def _in_order(keys, order) -> list:
    """``keys`` in ``order`` (the send's listed channels; a stored choice's keys come back unordered)."""
    order = [*order, *DEFAULT_ORDER]
    return sorted(keys, key=lambda key: order.index(key) if key in order else len(order))


def passed_over_words(choice: dict, order=()) -> list[str]:
    """ "SMS passed over: no consent for it", one per channel passed over, in the listed ``order``."""
    passed = choice.get("passed_over") or {}
    labels = {"email": _("Email"), "sms": _("SMS"), "whatsapp": _("WhatsApp")}
    return [_("%(channel)s passed over: %(reason)s") % {"channel": labels.get(entry, entry),
                                                        "reason": reason_words(passed[entry])}
            for entry in _in_order(passed, order)]


NOTHING_YET = {
    "whatsapp": lambda: _("has had no WhatsApp message yet"),
    "sms": lambda: _("has had no SMS yet"),
    "email": lambda: _("has had no email yet"),
    "": lambda: _("has had no message on this channel yet"),
}


def why_chosen(choice: dict) -> str:
    """The reason part: "the customer reads 9 of 10 WhatsApp messages and opens 1 of 6 emails"."""
    kind, reason = choice.get("kind", ""), choice.get("reason", "")
    if reason == "comparison_group":
        return _("the default channel (comparison group)")
    if reason == "only_reachable":
        return _("the only listed channel that can reach the customer")
    rates = {k: v for k, v in (choice.get("rates") or {}).items() if isinstance(v, list) and len(v) == 2}
    said = [answers(k, *rates[k]) for k in [kind, *_in_order([k for k in rates if k != kind], ())]
            if k in rates and rates[k][1]]
    if reason == "no_history" or not said:
        return _("the first listed channel; no answers to learn from yet")
    if kind not in rates or not rates[kind][1]:  # chosen for its prior: the others answered worse than a new channel
        said.insert(0, str(NOTHING_YET.get(kind, NOTHING_YET[""])()))
    return _("the customer %(history)s") % {"history": join(said)}


def choice_words(choice: dict) -> str:
    """Why the message went where it went, in one sentence: "Sent on WhatsApp: the customer reads 9 of
    10 WhatsApp messages and opens 1 of 6 emails"; "" before a choice."""
    if not choice.get("chosen"):
        return _("Not sent: none of the listed channels can reach the customer") if "passed_over" in choice else ""
    return _("%(sent)s: %(why)s") % {"sent": sent_on(choice.get("kind", ""), choice["chosen"]),
                                     "why": why_chosen(choice)}


def join(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def skipped_reason(choice: dict, order=()) -> str:
    """An action's reason when no listed channel can carry it (in English: stored on the action; the
    timeline says it in the admin's language from ``channel_choice``)."""
    with override("en"):
        return "no listed channel can reach the customer: " + "; ".join(passed_over_words(choice, order))
