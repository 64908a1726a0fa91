"""The words rules are said in (``rules.sentences`` puts them together): ``Words`` knows what a
sentence names things by (the pack's template subjects, its parameters) and whether it writes
HTML — names emphasized, everything escaped; plain text for the timeline, choices and tests. The
phrases for triggers, conditions, purchases and facts are here; each step kind says its own part
(``StepKind.describe``) with them. Strings go through Django's translation (``plugin/locale``).

Data in a sentence (a category, a tag, a message's subject: the shop's words, often in another
language than the admin's) is bidi-isolated — ``<bdi>`` in HTML, Unicode's first-strong isolate
in plain text — so "When a customer buys from *Absorbent*" reads whole in Hebrew too; the
translations never glue a Hebrew prefix (מ, ב, ל, ה, ו) to it ("מהקטגוריה *Absorbent*")."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import timedelta

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_bidi, ngettext
from django.utils.translation import gettext as _

from ..durations import parse_duration
from ..events import BY_NAME, CUSTOM_EVENT

_MERGE_TAG = re.compile(r"{{\s*([a-z_]+)\.([a-z_]+)[^}]*}}")
_PARAMETER = re.compile(r"^\$([a-z][a-z0-9_]*)$")
_LETTER = re.compile(r"[^\W\d_]")
_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def template_title(key: str, subject: str, body: str) -> str:
    """What a sentence calls a message: its subject, else its first line (an SMS), else its key."""
    lines = str(body or "").strip().splitlines()
    return subject or (lines[0] if lines else key)


class Words(ABC):
    """How a sentence names things: ``templates`` maps a template key to its subject (or text),
    ``parameters`` the pack's resolved values (``$name``). ``rules.sentences.Words`` is the one to
    use: it knows the step kinds, which this module (imported by them) cannot."""

    @abstractmethod
    def steps(self, steps: list) -> str:
        """A list of steps (a branch of a wait) said in order."""

    def __init__(self, templates: dict[str, str] | None = None, parameters: dict | None = None, html: bool = False):
        self.templates, self.parameters, self.html = templates or {}, parameters or {}, html

    @classmethod
    def for_pack(cls, pack_id: str, html: bool = True) -> Words:
        from ..models import MessageTemplate, RulePack

        templates = {key: template_title(key, subject, body) for key, subject, body
                     in MessageTemplate.objects.filter(locale="").values_list("key", "subject", "body")}
        pack = RulePack.objects.filter(pack_id=pack_id).first() if pack_id else None
        return cls(templates, pack.resolved_parameters() if pack else {}, html)

    @classmethod
    def for_pack_file(cls, pack, html: bool = True) -> Words:
        """A pack not installed yet (an import preview): its own templates and parameter defaults."""
        templates = {key: template_title(key, t.get("subject", ""), t.get("body", ""))
                     for key, t in (pack.templates or {}).items()}
        return cls(templates, {name: spec.get("default") for name, spec in (pack.parameters or {}).items()}, html)

    def value(self, value):
        """A ``$parameter`` replaced by the shop's value for it."""
        if isinstance(value, str):
            match = _PARAMETER.match(value)
            if match and match.group(1) in self.parameters:
                return self.parameters[match.group(1)]
        return value

    def say(self, message: str, **parts) -> str:
        """``message`` (translated, with ``{part}`` placeholders) with its parts filled in; parts
        already written by ``name`` or ``say`` are kept as they are, others escaped in HTML."""
        if self.html:
            return format_html(message, **parts)
        return message.format(**parts)

    def name(self, text) -> str:
        """Something the shop named (a category, a fact, a value), emphasized and isolated; true
        and false said as words."""
        value = self.value(text)
        if isinstance(value, bool):
            return self.emphasis(_("yes") if value else _("no"))
        return self.emphasis(self.isolated(str(value)))

    def emphasis(self, text) -> str:
        """Words of the sentence's own language set off (a duration, a weekday): not isolated."""
        return format_html("<em>{}</em>", text) if self.html else str(text)

    def isolated(self, text: str) -> str:
        """Data with letters in it kept in its own direction: ``<bdi>`` in HTML; in plain text the
        Unicode isolates, where the admin's language or the data is right-to-left. A number or a
        time reads the same either way and is left as it is."""
        if not _LETTER.search(text):
            return conditional_escape(text) if self.html else text
        if self.html:
            return format_html("<bdi>{}</bdi>", text)
        if get_language_bidi() or _RIGHT_TO_LEFT.search(text):
            return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
        return text

    def fact(self, name: str) -> str:
        """A fact's name as words: ``welcomed_at`` → *welcomed at*."""
        return self.name(_humanize(str(self.value(name)).removeprefix("facts.")).lower())

    def names(self, value) -> str:
        value = self.value(value)
        values = value if isinstance(value, list) else [value]
        return self.join([self.name(_humanize(self.value(v))) for v in values], _("or"))

    def template(self, key: str) -> str:
        subject = _MERGE_TAG.sub(lambda m: "{" + m.group(2).replace("_", " ") + "}", self.templates.get(key, key))
        return self.emphasis(self.isolated(f"“{subject}”"))

    def duration(self, value) -> str:
        value = self.value(value)
        seconds = value if isinstance(value, (int, float)) else parse_duration(value).total_seconds()
        return self.emphasis(duration_words(timedelta(seconds=seconds)))

    def join(self, parts: list[str], word: str | None = None) -> str:
        word = word or _("and")
        if not parts:
            return ""
        if len(parts) == 1:
            return parts[0]
        head = self.concat(parts[:-1], ", ")
        return self.concat([head, parts[-1]], f" {word} ")

    def concat(self, parts: list[str], separator: str) -> str:
        if self.html:
            return mark_safe(conditional_escape(separator).join(conditional_escape(p) for p in parts))
        return separator.join(str(p) for p in parts)


_UNITS = (  # (seconds, how many of them are said); weeks only from two whole weeks on
    (604800, lambda n: ngettext("%(n)d week", "%(n)d weeks", n)),
    (86400, lambda n: ngettext("%(n)d day", "%(n)d days", n)),
    (3600, lambda n: ngettext("%(n)d hour", "%(n)d hours", n)),
    (60, lambda n: ngettext("%(n)d minute", "%(n)d minutes", n)),
)


def duration_words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for size, say in _UNITS:
        if seconds and seconds % size == 0 and (size != 604800 or seconds >= 2 * size):
            return say(seconds // size) % {"n": seconds // size}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def _humanize(value) -> str:
    return str(value).replace("-", " ").replace("_", " ").capitalize() if isinstance(value, str) else str(value)


def event_phrase(name: str, words: Words) -> str:
    """What happening to a customer this event is: "a customer places an order"."""
    event = BY_NAME.get(name)
    if event is not None and event.when:
        return str(event.when)
    if isinstance(name, str) and CUSTOM_EVENT.fullmatch(name):
        return words.say(_("the store reports {event}"), event=words.name(name.removeprefix("custom.")))
    return words.say(_("{event} happens"), event=words.name(name))


def comparison(what: str, op: str, value, words: Words, shown: str | None = None) -> str:
    template = {
        "==": _("{what} is {value}"), "!=": _("{what} is not {value}"), ">": _("{what} is more than {value}"),
        ">=": _("{what} is at least {value}"), "<": _("{what} is less than {value}"),
        "<=": _("{what} is at most {value}"), "in": _("{what} is one of {value}"),
        "not_in": _("{what} is none of {value}"), "exists": _("{what} is known"),
        "missing": _("{what} is not known"),
    }.get(op or "==", _("{what} is {value}"))
    if shown is None:
        shown = words.names(value) if isinstance(value, list) else words.name(words.value(value))
    return words.say(template, what=what, value=shown)


def fact_name(fact: str, words: Words) -> str:
    known = {"orders_count": _("their number of orders"), "total_spent": _("what they have spent"),
             "marketing_consent": _("their marketing consent"), "locale": _("their language"),
             "time_zone": _("their time zone"), "email": _("their email address"),
             "median_order_interval_days": _("their usual days between orders"),
             "consent_email": _("their consent to marketing by e-mail"),
             "consent_sms": _("their consent to marketing by SMS"),
             "consent_whatsapp": _("their consent to marketing on WhatsApp")}
    if fact in known:
        return known[fact]
    return words.say(_("their {fact}"), fact=words.fact(fact))


def purchase(argument: dict, words: Words) -> str:
    parts = []
    if argument.get("category"):
        parts.append(words.say(_("from {category}"), category=words.names(argument["category"])))
    if argument.get("product"):
        parts.append(words.names(argument["product"]))
    return words.join(parts, _("or"))


def reach_phrase(condition: dict, words: Words) -> str:
    """``{reachable: sms}`` in words: "they have a phone number and agreed to marketing"."""
    reachable = "reachable" in condition
    kind = condition["reachable" if reachable else "not_reachable"]
    marketing = condition.get("class", "marketing") == "marketing"
    if kind == "sms":
        phrases = ((_("they have a phone number and agreed to marketing"), _("they have a phone number")),
                   (_("they have no phone number or have not agreed to marketing"), _("they have no phone number")))
    else:
        phrases = ((_("they have an email address and agreed to marketing"), _("they have an email address")),
                   (_("they have no email address or have not agreed to marketing"), _("they have no email address")))
    return words.say(phrases[0 if reachable else 1][0 if marketing else 1])


def condition_phrase(condition: dict, words: Words) -> str:
    op, value = condition.get("op", "=="), condition.get("value")
    if "fact" in condition:
        return comparison(fact_name(condition["fact"], words), op, value, words)
    if "event" in condition:
        return comparison(words.say(_("the event's {field}"), field=words.name(condition["event"])), op, value, words)
    if "bought" in condition:
        return words.say(_("they have bought {what}"), what=purchase(condition["bought"], words))
    if "not_bought" in condition:
        return words.say(_("they have never bought {what}"), what=purchase(condition["not_bought"], words))
    if "count" in condition:
        what = words.say(_("the number of their orders from {category}"), category=words.names(condition["count"]["category"]))
        return comparison(what, op, value, words)
    if "orders" in condition:
        what = words.say(_("the number of their orders in the last {window}"), window=words.duration(condition["orders"]["within"]))
        return comparison(what, op, value, words)
    if "since" in condition:
        since = condition["since"]
        what = {"last_order": _("the time since their last order"), "first_order": _("the time since their first order")}.get(
            since) if isinstance(since, str) else words.say(_("the time since {what}"), what=words.names(
                since.get("category") or since.get("fact")))
        shown = words.duration(value) if isinstance(value, (str, int, float)) and op not in ("exists", "missing") else None
        return comparison(what, op, value, words, shown)
    if "segment" in condition:
        return words.say(_("they are in the segment {segment}"), segment=words.name(condition["segment"]))
    if "tagged" in condition:
        return words.say(_("they are tagged {tag}"), tag=words.name(condition["tagged"]))
    if "not_tagged" in condition:
        return words.say(_("they are not tagged {tag}"), tag=words.name(condition["not_tagged"]))
    if "reachable" in condition or "not_reachable" in condition:
        return reach_phrase(condition, words)
    if "any" in condition:
        return words.say(_("either {choices}"), choices=words.join(
            [condition_phrase(c, words) for c in condition["any"]], _("or")))
    if "all" in condition:
        return words.join([condition_phrase(c, words) for c in condition["all"]])
    return words.name(str(condition))


def trigger_phrase(trigger: dict, words: Words) -> str:
    if "fact" in trigger:
        fact = trigger["fact"]
        if fact.startswith("tag:"):
            return words.say(_("a customer is tagged {tag}"), tag=words.name(fact[4:]))
        what = fact_name(fact, words)
        if "to" in trigger:
            return words.say(_("{what} becomes {value}"), what=what, value=words.name(words.value(trigger["to"])))
        if "above" in trigger:
            return words.say(_("{what} reaches {value}"), what=what, value=words.name(words.value(trigger["above"])))
        return words.say(_("{what} changes"), what=what)
    event = trigger.get("event", "")
    if event in ("category_bought", "product_bought") and (trigger.get("category") or trigger.get("product")):
        phrase = words.say(_("a customer buys {what}"), what=purchase(trigger, words))
    elif trigger.get("category") or trigger.get("product"):
        phrase = words.say(_("{event} with something {what}"), event=event_phrase(event, words),
                           what=purchase(trigger, words))
    else:
        phrase = event_phrase(event, words)
    if trigger.get("sku"):
        phrase = words.say(_("{phrase} (SKU {sku})"), phrase=phrase, sku=words.names(trigger["sku"]))
    if trigger.get("min_total") is not None:
        phrase = words.say(_("{phrase} of at least {total}"), phrase=phrase, total=words.name(words.value(trigger["min_total"])))
    if trigger.get("max_total") is not None:
        phrase = words.say(_("{phrase} of at most {total}"), phrase=phrase, total=words.name(words.value(trigger["max_total"])))
    return phrase
