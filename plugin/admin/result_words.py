"""The Results page and the home panel in an owner's words: money set apart for right-to-left
pages (``<bdi>``), changes against the previous period with an arrow, and what a holdout or an
A/B split says so far ("sending earned ₪X more", "B is better with 87 % probability", "not
enough customers yet — about N more"). Statistics' names stay in the page's details."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..money import Amounts, format_money
from ..reports.incremental import wilson
from .journey_words import version_name

LEADS = 0.6   # below this probability of being the best, no version is named as better


def money(amount, currency: str = "") -> SafeString:
    """One amount, kept left-to-right inside a Hebrew sentence: ``<bdi dir="ltr">₪1,234.50</bdi>``."""
    return format_html('<bdi class="masa-money" dir="ltr">{}</bdi>', format_money(amount, currency))


def amounts(total: Amounts, currency: str = "") -> SafeString:
    """Each currency's total (zero in ``currency`` when there is none), joined by " + "."""
    shown = [(code, value) for code, value in sorted(total.items()) if value] or [(currency, Decimal(0))]
    return format_html_join(" + ", "{}", ((money(value, code),) for code, value in shown))


def number(value) -> str:
    return number_format(value, force_grouping=True)


def percent(rate: float) -> str:
    """0.123 → "12 %" (one decimal below 10 %: "2.5 %")."""
    value = 100 * rate
    digits = 1 if 0 < value < 10 and round(value, 1) != round(value) else 0
    return _("%(percent)s %%") % {"percent": number_format(round(value, digits), decimal_pos=digits)}


@dataclass(frozen=True)
class Change:
    """Against the previous period: ``direction`` up, down or same; ``text`` what to read."""

    direction: str
    text: str

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓"}.get(self.direction, "=")


def count_change(now: int, before: int) -> Change:
    difference = now - before
    if not difference:
        return Change("same", _("same as before"))
    if difference > 0:
        return Change("up", _("%(count)s more") % {"count": number(difference)})
    return Change("down", _("%(count)s fewer") % {"count": number(-difference)})


def money_change(now: Amounts, before: Amounts) -> Change:
    difference = now - before
    moved = [(code, value) for code, value in sorted(difference.items()) if value]
    if not moved:
        return Change("same", _("same as before"))
    if all(value > 0 for _code, value in moved):
        return Change("up", format_html(_("{amount} more"), amount=amounts(Amounts(dict(moved)))))
    if all(value < 0 for _code, value in moved):
        return Change("down", format_html(_("{amount} less"),
                                          amount=amounts(Amounts({code: -value for code, value in moved}))))
    parts = format_html_join(" ", "{}", ((money(value, code),) for code, value in moved))
    return Change("same", format_html(_("changed by {amounts}"), amounts=parts))


def outlook_sentence(outlook, groups: str = "holdout") -> str:
    """What an Outlook says while the comparison cannot tell yet ("" once it can)."""
    if outlook.state == "none":
        return _("No customer has reached it in this period yet.")
    if outlook.state == "no_orders":
        return (_("Not enough customers yet: no one in either group has ordered so far.") if groups == "holdout"
                else _("Not enough customers yet: no one in any branch has ordered so far."))
    if outlook.state == "too_small":
        return _("The difference is too small to tell at this shop's size: it would take more than a year of "
                 "customers.")
    if outlook.state == "more":
        return ngettext("Not enough customers yet — about %(count)s more (about %(weeks)s week at this pace).",
                        "Not enough customers yet — about %(count)s more (about %(weeks)s weeks at this pace).",
                        outlook.weeks) % {"count": number(outlook.more), "weeks": number(outlook.weeks)}
    return ""


def holdout_says(row) -> dict:
    """What a holdout (``reports.incremental.Incremental``) says: ``earned`` (the money, or ""),
    ``ordered`` (each side's orders), ``verdict`` (its answer, or how far it is from one)."""
    earned = ""
    if row.earned is not None and row.treated.customers:
        total, low, high = row.earned
        parts = {"amount": money(abs(total), row.currency), "low": money(low, row.currency),
                 "high": money(high, row.currency)}
        earned = format_html(_("Sending earned {amount} more (likely between {low} and {high}).") if total >= 0
                             else _("Sending brought {amount} less than not sending (likely between {low} and {high})."),
                             **parts)
    ordered = ""
    if row.treated.customers and row.held_out.customers:
        ordered = _("%(sent_rate)s of the %(sent)s customers sent it ordered, against %(held_rate)s of the "
                    "%(held)s held out.") % {"sent_rate": percent(row.treated.rate), "sent": number(row.treated.customers),
                                             "held_rate": percent(row.held_out.rate),
                                             "held": number(row.held_out.customers)}
    return {"earned": earned, "ordered": ordered, "verdict": holdout_verdict(row)}


def holdout_verdict(row) -> str:
    if not row.enough:
        return outlook_sentence(row.outlook)
    if row.conversion[1] > 0:
        return _("Sending brings orders that would not have come anyway.")
    if row.conversion[2] < 0:
        return _("The customers held out order more: sending costs orders.")
    return _("No clear difference: customers order about as much without it.")


def split_says(split) -> dict:
    """What an A/B split says: ``best`` ("B is better with 87 % probability", or ""), and
    ``verdict`` (how far it is from an answer, or "")."""
    best = ""
    chances = split.chances
    if chances and not split.winner:
        branch, chance = chances[0]
        if chance < LEADS:
            best = _("No version stands out so far.")
        else:
            best = format_html(_("{branch} is better with {percent} probability.") if len(chances) == 2
                               else _("{branch} is the best with {percent} probability."),
                               branch=format_html("<bdi>{}</bdi>", version_name(branch)), percent=percent(chance))
    outlook = split.outlook
    verdict = "" if split.winner or outlook.state == "told" else outlook_sentence(outlook, groups="split")
    return {"best": best, "verdict": verdict}


def channel_name(kind: str) -> str:
    """A channel kind as the owner reads it (a kind Masa does not ship: "another channel")."""
    return {"email": _("Email"), "sms": _("SMS"), "whatsapp": _("WhatsApp"), "webhook": _("Webhook")}.get(
        kind, _("another channel"))


def channel_figures(result) -> SafeString:
    """One channel's figures (``reports.channels.ChannelResult``): "40 sent, 31 read, 2 replied, 6
    bought, ₪1,200.00 (₪30.00 per recipient)" — a WhatsApp message is read, an e-mail opened; an
    SMS's opens are left out while there are none (SMS tells none)."""
    parts = [_("%(count)s sent") % {"count": number(result.sent)}]
    if result.kind == "whatsapp":
        parts.append(_("%(count)s read") % {"count": number(result.opened)})
    elif result.kind != "sms" or result.opened:
        parts.append(_("%(count)s opened") % {"count": number(result.opened)})
    parts.append(_("%(count)s clicked") % {"count": number(result.clicked)})
    if result.replied or result.kind in ("whatsapp", "sms"):
        parts.append(_("%(count)s replied") % {"count": number(result.replied)})
    parts.append(_("%(count)s bought") % {"count": number(result.converted)})
    text = format_html_join(", ", "{}", ((part,) for part in parts))
    if result.converted:
        text = format_html(_("{figures}, {revenue} ({per_recipient} per recipient)"), figures=text,
                           revenue=amounts(result.revenue, result.currency),
                           per_recipient=amounts(result.revenue_per_recipient, result.currency))
    return text


def by_channel(results) -> list[SafeString]:
    """Each channel's line: "WhatsApp: 40 sent, 31 read, …" (``channel_figures``)."""
    return [format_html(_("{channel}: {figures}"), channel=format_html("<bdi>{}</bdi>", channel_name(result.kind)),
                        figures=channel_figures(result))
            for result in results]


def _rate_with_interval(group) -> str:
    low, high = wilson(group.converted, group.customers)
    return _("%(rate)s (likely %(low)s – %(high)s)") % {"rate": percent(group.rate), "low": percent(low),
                                                       "high": percent(high)}


def channel_arms_says(row) -> dict:
    """What the preferred-against-default comparison (``reports.incremental.channel_arms``) says:
    ``arms`` (each arm's order rate with its likely range), ``verdict`` (its answer, or how far it
    is from one)."""
    preferred, default = row.treated, row.held_out
    if not preferred.customers or not default.customers:
        return {"arms": "", "verdict": _("No customer has reached both groups yet: some customers get the pack's "
                                         "default channel, to compare with.")}
    arms = _("Following each customer's channel: %(preferred)s of %(preferred_count)s customers bought; the "
             "default channel: %(default)s of %(default_count)s.") % {
        "preferred": _rate_with_interval(preferred), "preferred_count": number(preferred.customers),
        "default": _rate_with_interval(default), "default_count": number(default.customers)}
    if not row.enough:
        verdict = outlook_sentence(row.outlook)
    elif row.conversion[1] > 0:
        verdict = _("Following each customer's channel brings more orders.")
    elif row.conversion[2] < 0:
        verdict = _("The default channel brings more orders.")
    else:
        verdict = _("No clear difference yet between following each customer's channel and the default one.")
    return {"arms": arms, "verdict": verdict}
