"""The journey's words for a shop owner: a rule title with its ``$parameters`` said as their
values, a skip reason in words, an A/B version's name, numbers in the page's language (what a
holdout or a split says so far is ``result_words``', shared with Results)."""
from __future__ import annotations

import re

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..durations import parse_duration
from ..rules.sentences import Words
from ..rules.wording import duration_words

_TOKEN = re.compile(r"\$([a-z][a-z0-9_]*)")


def said(text: str, words: Words) -> str:
    """A rule's title with each ``$parameter`` said as the shop's value ("no message for 2 months")."""
    def value(match):
        found = words.value(match.group(0))
        if isinstance(found, list):
            return ", ".join(map(str, found))
        if isinstance(found, str) and found != match.group(0):
            try:
                return duration_words(parse_duration(found))
            except ValueError:
                return found
        return str(found)

    return _TOKEN.sub(value, text or "")


def count(value) -> str:
    """A whole number as the page's language writes it: 1,234."""
    return number_format(value, force_grouping=True) if isinstance(value, int) else str(value)


def version_name(name: str) -> str:
    """An A/B branch as the owner reads it: ``a`` → "A"; a longer name as written."""
    return name.upper() if len(name) == 1 else name.replace("-", " ").replace("_", " ")


# A skip reason (``reports.journey.reason_kind``: the engine's words without dates and numbers)
# → what the owner reads; the first pattern that matches says it.
_REASONS = [
    (r"^bought from category .* again", lambda: _("bought from that category again")),
    (r"^bought product .* again", lambda: _("bought that product again")),
    (r"^has bought from category", lambda: _("had already bought from that category")),
    (r"^has bought product", lambda: _("had already bought that product")),
    (r"^the customer ordered again", lambda: _("ordered again")),
    (r"^the customer placed order", lambda: _("placed an order")),
    (r"^the customer has no marketing consent for SMS$", lambda: _("no consent to marketing by SMS")),
    (r"^the customer has no marketing consent for WhatsApp$", lambda: _("no consent to marketing on WhatsApp")),
    (r"^the customer has no marketing consent for e-mail$", lambda: _("no consent to marketing by e-mail")),
    (r"^the customer has no marketing consent", lambda: _("no consent to marketing")),
    (r"^the customer has no phone number", lambda: _("no phone number")),
    (r"^the customer has no email address", lambda: _("no email address")),
    (r"^the customer has no ", lambda: _("no address for this channel")),
    (r" came on ", lambda: _("what it waited for came")),
    (r"^a newer message", lambda: _("a newer message went first")),
    (r"^marketing is paused", lambda: _("marketing paused for them")),
    (r"another branch of the split", lambda: _("in the other version of the A/B test")),
    (r"^the test chose branch", lambda: _("another version won the A/B test")),
    (r"was turned off", lambda: _("the rule was turned off")),
    (r"^order .* was (cancelled|refunded)", lambda: _("the order was cancelled or refunded")),
    (r"^the cart was emptied", lambda: _("the cart was emptied")),
    (r"^a newer cart", lambda: _("a newer cart counts instead")),
    (r"^a guest", lambda: _("a guest, with no account in the store")),
    (r"^broadcast cancelled", lambda: _("the broadcast was cancelled")),
    (r"^cancelled by ", lambda: _("cancelled by a staff member")),
    (r"^set aside for a scenario", lambda: _("set aside for a simulation")),
    (r"^no reason given$", lambda: _("no reason given")),
]


def reason_words(kind: str) -> str:
    """A skip reason as the owner reads it: "ordered again", "no phone number"."""
    for pattern, said in _REASONS:
        if re.search(pattern, kind or ""):
            return said()
    return _("another reason")


def points(difference: float) -> str:
    """A difference of two rates in percentage points, signed: +5.2."""
    return f"{'+' if difference > 0 else ''}{number_format(round(100 * difference, 1), decimal_pos=1)}"


def interval(row) -> str:
    """The statistics behind a verdict, for the details: the difference in ordering and its range."""
    return _("Difference in ordering: %(difference)s percentage points (95 %% likely between %(low)s and "
             "%(high)s).") % {"difference": points(row.conversion[0]), "low": points(row.conversion[1]),
                              "high": points(row.conversion[2])}


def more_customers_needed(split) -> int:
    """About how many more customers the split must reach before its branches are the minimum
    sample (``comparison.needed`` each); 0 once they are."""
    if split.comparison.enough:
        return 0
    return sum(max(split.comparison.needed - group.customers, 0) for _name, group in split.branches)
