"""Marketing consent: the words that give or withdraw it, and whose word counts.

Who may change a customer's consent is the point (docs/reliability.md, "Consent"): the customer
under their own identity — their Saleor account's metadata, Masa's signed opt-in and unsubscribe
links — and the site's own in-process store. A guest's checkout or order metadata (which anyone
at the checkout can write) counts for that guest's customer only, never for an account it shares
an e-mail with — and its "yes", like a form's, is only a request, confirmed by a signed link sent
to the address (double opt-in, ``actions.opt_in``), since anyone can type anyone's address into
either. Their "no" holds at once (a form's for every customer with that e-mail): a "no" only ever
stops marketing. A word older than the one on record changes nothing.
"""
from __future__ import annotations

from django.utils import timezone

from django.db.models import Q

from .models import Customer

WORDS = {"true": True, "yes": True, "1": True, "on": True, "y": True,
         "false": False, "no": False, "0": False, "off": False, "n": False}
# Where consent given by a guest's checkout or order metadata is recorded as coming from.
# Marketing consent is per channel kind; every other kind (a webhook) counts e-mail's.
KINDS = ("email", "sms", "whatsapp")
FIELDS = {"email": "marketing_consent", "sms": "sms_consent", "whatsapp": "whatsapp_consent"}
GUEST_SOURCES = ("Saleor checkout metadata", "Saleor order metadata")
NOT_CARRIED = "given as a guest; the account has not given it"


def word(value) -> bool | None:
    """True, False, or None for a value that says neither."""
    if isinstance(value, bool):
        return value
    return WORDS.get(str(value).strip().lower()) if value is not None else None


def kind_for_channel(channel_kind: str) -> str:
    """The consent a marketing send through a channel of this kind needs."""
    return channel_kind if channel_kind in FIELDS else "email"


def given(customer, kind: str) -> bool:
    """Whether the customer consented to marketing on this consent kind (``KINDS``)."""
    return bool(getattr(customer, FIELDS[kind_for_channel(kind)]))


def when_and_where(customer, kind: str) -> tuple[bool, object, str]:
    """(given, when, where) of one kind's consent."""
    field = FIELDS[kind_for_channel(kind)]
    return bool(getattr(customer, field)), getattr(customer, f"{field}_at"), getattr(customer, f"{field}_source")


def record(customer, kind: str, value: bool, source: str, at) -> list[str]:
    """Set one kind's consent on the (unsaved) customer; returns the fields changed (none when it
    already says so)."""
    field = FIELDS[kind_for_channel(kind)]
    if bool(getattr(customer, field)) == bool(value):
        return []
    setattr(customer, field, bool(value))
    setattr(customer, f"{field}_source", source[:100])
    setattr(customer, f"{field}_at", at)
    return [field, f"{field}_source", f"{field}_at"]


def adopted(customer) -> list[str]:
    """A guest's customer now has an account: consent given only in a guest checkout's or order's
    metadata was the guest's word, not the account's, so it does not carry over. Returns the
    fields changed."""
    if customer.marketing_consent and customer.marketing_consent_source.startswith(GUEST_SOURCES):
        customer.marketing_consent = False
        customer.marketing_consent_source = NOT_CARRIED
        customer.marketing_consent_at = timezone.now()
        return ["marketing_consent", "marketing_consent_source", "marketing_consent_at"]
    return []


def withdraw_everywhere(customer, source: str, at) -> int:
    """A "no" given on the site (a form) is the person's, whatever store knows them: every other
    customer with that e-mail who has consent loses it too (a "no" only ever stops marketing).
    Returns how many."""
    if not customer.email:
        return 0
    older = Q(marketing_consent_at__isnull=True) | Q(marketing_consent_at__lte=at)
    return (Customer.objects.filter(older, email__iexact=customer.email, marketing_consent=True).exclude(pk=customer.pk)
            .update(marketing_consent=False, marketing_consent_source=f"{source} (same e-mail)",
                    marketing_consent_at=at))


def withdraw(customer, source: str, at) -> None:
    """The customer said "no" to marketing (e.g. to the shop's staff): recorded on the customer,
    from ``source``, and for every other customer with that e-mail (``withdraw_everywhere``)."""
    customer.marketing_consent, customer.marketing_consent_source = False, source[:100]
    customer.marketing_consent_at = at
    customer.save(update_fields=["marketing_consent", "marketing_consent_source", "marketing_consent_at",
                                 "updated_at"])
    withdraw_everywhere(customer, source[:80], at)
