"""A customer's marketing consent per channel as the owner reads it: each kind's yes or no, since
when, and where it came from — Masa's own English sources ("opt-in link", "Saleor customer
metadata") translated, anything else (a form's name, a staff member's) shown as written."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import consent

NAMES = {"email": gettext_lazy("E-mail"), "sms": gettext_lazy("SMS"), "whatsapp": gettext_lazy("WhatsApp")}
# Lower-case, inside a sentence ("no more marketing by SMS").
BY = {"email": gettext_lazy("by e-mail"), "sms": gettext_lazy("by SMS"), "whatsapp": gettext_lazy("on WhatsApp")}

# Masa's own sources (``consent``, ``rules.facts``, ``masa_consent``) → the owner's words; the
# first pattern that matches says it, with what it caught (a form's name, a staff member's).
_SOURCES = [
    (r"^Saleor customer metadata$", lambda m: _("the customer's account in the store")),
    (r"^Saleor checkout metadata$", lambda m: _("a guest's checkout")),
    (r"^Saleor order metadata$", lambda m: _("a guest's order")),
    (r"^the store$", lambda m: _("the store")),
    (r"^opt-in link$", lambda m: _("the confirmation link they pressed")),
    (r"^unsubscribe link$", lambda m: _("the unsubscribe link they pressed")),
    (r"^marked as spam$", lambda m: _("a spam complaint about a message")),
    (r"^asked to stop on WhatsApp$", lambda m: _("their reply asking to stop, on WhatsApp")),
    (r"^asked to stop by SMS$", lambda m: _("their reply asking to stop, by SMS")),
    (r"^given as a guest; the account has not given it$",
     lambda m: _("the account, which did not carry over what was given as a guest")),
    (r"^earlier consent", lambda m: _("their consent from before Masa asked per channel")),
    (r"^asked staff \((?P<who>.*)\)$", lambda m: _("the customer's request to %(who)s") % {"who": m["who"]}),
    (r"^form (?P<form>.+?) \(same e-mail\)$", lambda m: _("form %(form)s, for the same e-mail address") % m.groupdict()),
    (r"^form (?P<form>.+?) \(same phone number\)$",
     lambda m: _("form %(form)s, for the same phone number") % m.groupdict()),
    (r"^form (?P<form>.+)$", lambda m: _("form %(form)s") % m.groupdict()),
]


def source_words(source: str) -> str:
    """Where a consent came from, in the page's language when the words are Masa's own."""
    for pattern, said in _SOURCES:
        found = re.match(pattern, source or "")
        if found:
            return said(found)
    return source


@dataclass(frozen=True)
class ConsentRow:
    kind: str
    name: str
    given: bool
    at: datetime | None
    source: str          # in words (``source_words``); "" when never said


def consent_rows(customer) -> list[ConsentRow]:
    """One row per consent kind (e-mail, SMS, WhatsApp), in that order."""
    rows = []
    for kind in consent.KINDS:
        given, at, source = consent.when_and_where(customer, kind)
        rows.append(ConsentRow(kind, str(NAMES[kind]), given, at, source_words(source) if source else ""))
    return rows


def agreed_names(customer) -> list[str]:
    """The channels the customer agreed to marketing on, by name (the customers list)."""
    return [str(NAMES[kind]) for kind in consent.KINDS if consent.given(customer, kind)]


def stopped_words(kinds: list[str]) -> str:
    """What the Stop marketing quick action recorded (one channel, or all), in words."""
    if len(kinds) == 1:
        return _("Recorded: this customer gets no more marketing messages %(how)s. Service messages about their "
                 "orders still go.") % {"how": BY[kinds[0]]}
    return _("Recorded: this customer gets no more marketing messages, on any channel. Service messages about "
             "their orders still go.")
