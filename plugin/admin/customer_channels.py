"""The customer page's "Channels" section: per channel kind what the customer did with Masa's
messages ("WhatsApp: read 9 of 10", "SMS: no messages yet") and where a marketing message on
the channel they answer best would go now, and why (``preference``)."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import consent, preference
from ..channels import backends
from ..models import Channel, Customer


@dataclass
class ChannelRow:
    name: str          # "WhatsApp"
    said: str          # "read 9 of 10"
    notes: list[str]   # "no consent for marketing", "2 bounced"
    best: bool = False


def _said(kind: str, past: preference.ChannelHistory) -> str:
    if not past.sent:
        return _("no messages yet")
    values = {"n": min(past.responded, past.sent), "m": past.sent}
    if kind == "whatsapp":
        return _("read %(n)d of %(m)d") % values
    if kind == "email":
        return _("opened %(n)d of %(m)d") % values
    return _("answered %(n)d of %(m)d") % values


def _notes(customer: Customer, kind: str, past: preference.ChannelHistory, fields: dict) -> list[str]:
    notes = []
    if kind in fields and not getattr(customer, fields[kind], ""):
        notes.append(_("no phone number") if fields[kind] == "phone" else _("no email address"))
    if not consent.given(customer, kind):
        notes.append(_("no consent for marketing"))
    if past.bounced:
        notes.append(_("%(n)d bounced") % {"n": past.bounced})
    if past.unsubscribed:
        notes.append(_("unsubscribed"))
    return notes


def channels_section(customer: Customer, now=None) -> dict:
    """Rows for the kinds the shop has a channel of (or the customer a history on), best first
    marked, and the sentence saying where Masa would send now."""
    now = now or timezone.now()
    fields = {kind: backend.address_field for kind, backend in backends().items()}
    known = preference.history(customer)
    kinds = set(Channel.objects.filter(enabled=True).values_list("kind", flat=True)) | set(known)
    listed = [kind for kind in preference.DEFAULT_ORDER if kind in kinds]
    choice = preference.choose(customer, listed, True, now, template=None, address_fields=fields, known=known)
    prior = preference.prior_setting()
    rates = {kind: (known.get(kind) or preference.ChannelHistory(kind)).rate(prior) for kind in listed}
    answered = [kind for kind in listed if (known.get(kind) or preference.ChannelHistory(kind)).responded]
    best = max(answered, key=lambda kind: rates[kind]) if answered else ""
    labels = {"whatsapp": _("WhatsApp"), "sms": _("SMS"), "email": _("Email")}
    rows = [ChannelRow(labels.get(kind, kind),
                       _said(kind, known.get(kind) or preference.ChannelHistory(kind)),
                       _notes(customer, kind, known.get(kind) or preference.ChannelHistory(kind), fields),
                       best=kind == best)
            for kind in listed]
    if choice.chosen:
        now_said = _("A message on the channel the customer answers best would go on %(channel)s now: %(why)s") % {
            "channel": preference.kind_name(choice.kind), "why": preference.why_chosen(choice.as_json())}
    else:
        now_said = _("No channel can reach the customer with marketing now.")
    return {"rows": rows, "now": now_said, "passed_over": preference.passed_over_words(choice.as_json(), listed),
            "best": preference.kind_name(best) if best else ""}
