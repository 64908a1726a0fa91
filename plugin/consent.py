"""Marketing consent per channel kind (e-mail, SMS, WhatsApp): the words that give or withdraw it,
and whose word counts.

Who may change a customer's consent is the point (docs/reliability.md, "Consent"): the customer
under their own identity — their Saleor account's metadata, Masa's signed opt-in and unsubscribe
links, a STOP reply — and the site's own in-process store. A guest's checkout or order metadata
(which anyone at the checkout can write) counts for that guest's customer only, never for an
account it shares an e-mail with — and its "yes", like a form's, is only a request, confirmed by a
signed link sent to the address (double opt-in, ``actions.opt_in``), since anyone can type anyone's
address into either. Their "no" holds at once (a form's for every customer with that e-mail, or,
for SMS and WhatsApp, that phone number): a "no" only ever stops marketing. A word older than the
one on record changes nothing. Each kind is its own: a word about SMS changes nothing of e-mail's.
"""
from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from . import conf
from .models import Channel, Customer

WORDS = {"true": True, "yes": True, "1": True, "on": True, "y": True,
         "false": False, "no": False, "0": False, "off": False, "n": False}
# Marketing consent is per channel kind; every other kind (a webhook) counts e-mail's.
KINDS = ("email", "sms", "whatsapp")
FIELDS = {"email": "marketing_consent", "sms": "sms_consent", "whatsapp": "whatsapp_consent"}
# Where consent given by a guest's checkout or order metadata is recorded as coming from.
GUEST_SOURCES = ("Saleor checkout metadata", "Saleor order metadata")
NOT_CARRIED = "given as a guest; the account has not given it"
# The kinds whose "no" from a form follows the phone number (e-mail's follows the e-mail address).
BY_PHONE = ("sms", "whatsapp")


def word(value) -> bool | None:
    """True, False, or None for a value that says neither."""
    if isinstance(value, bool):
        return value
    return WORDS.get(str(value).strip().lower()) if value is not None else None


def kind_for_channel(channel_kind: str) -> str:
    """The consent a marketing send through a channel of this kind needs."""
    return channel_kind if channel_kind in FIELDS else "email"


def channel_kind(name: str) -> str:
    """The kind of the channel a send's ``channel:`` names — a channel's name or a kind, resolved as
    ``delivery.route.route`` does (the enabled channel of that name, else one of that kind); the
    name itself when no enabled channel answers (a kind, or nothing known)."""
    found = dict(Channel.objects.filter(Q(name=name) | Q(kind=name), enabled=True)
                 .values_list("name", "kind"))  # one query: the named one, else any of the kind
    return found.get(name) or (name if name in found.values() else str(name or ""))


def setting_problems() -> list[str]:
    """What is wrong with the consent settings, in words (``manage.py check``): a kind Masa does not
    know would be read from nowhere, silently."""
    problems = []
    keys = conf.get("CONSENT_METADATA_KEYS")
    if not isinstance(keys, dict):
        problems.append("MASA['CONSENT_METADATA_KEYS'] must map a channel kind (email, sms, whatsapp) to a metadata key")
    else:
        problems += [f"MASA['CONSENT_METADATA_KEYS'] names {kind!r}: the kinds are email, sms and whatsapp"
                     for kind in keys if kind not in FIELDS]
        problems += [f"MASA['CONSENT_METADATA_KEYS'] gives {kind!r} a key that is not text"
                     for kind, key in keys.items() if kind in FIELDS and key is not None and not isinstance(key, str)]
        taken = [key for key in metadata_keys().values()]
        if len(taken) != len(set(taken)):
            problems.append("MASA['CONSENT_METADATA_KEYS'] gives two channels the same key: one word would answer "
                            "for both")
    covers = conf.get("EARLIER_CONSENT_COVERS")
    if not isinstance(covers, (list, tuple)) or any(kind not in BY_PHONE for kind in covers):
        problems.append("MASA['EARLIER_CONSENT_COVERS'] lists the channels the earlier consent covered: "
                        "\"sms\", \"whatsapp\" or both")
    return problems


KIND_WORDS = {"email": "e-mail", "sms": "SMS", "whatsapp": "WhatsApp"}


def kinds_words(kinds) -> str:
    """Kinds as the engine's English reasons name them: "WhatsApp, SMS or e-mail"."""
    named = [KIND_WORDS[kind_for_channel(kind)] for kind in kinds]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"


def metadata_keys() -> dict[str, str]:
    """Consent kind → the Saleor public metadata key (and form field) that gives it:
    ``MASA["CONSENT_METADATA_KEYS"]``, e-mail's being ``MASA["CONSENT_METADATA_KEY"]`` unless named
    there. A kind without a key is read from nowhere."""
    keys, named = {"email": conf.get("CONSENT_METADATA_KEY")}, conf.get("CONSENT_METADATA_KEYS")
    keys.update({kind: key for kind, key in (named if isinstance(named, dict) else {}).items() if kind in FIELDS})
    return {kind: str(key) for kind, key in keys.items() if key}


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
    """A guest's customer now has an account: consent (of any kind) given only in a guest
    checkout's or order's metadata was the guest's word, not the account's, so it does not carry
    over. Returns the fields changed."""
    changed, now = [], timezone.now()
    for kind, field in FIELDS.items():
        if getattr(customer, field) and getattr(customer, f"{field}_source").startswith(GUEST_SOURCES):
            changed += record(customer, kind, False, NOT_CARRIED, now)
    return changed


def withdraw_everywhere(customer, source: str, at, kind: str = "email") -> int:
    """A "no" given on the site (a form) is the person's, whatever store knows them: every other
    customer with that e-mail (for e-mail consent) or that phone number (SMS, WhatsApp: the number
    is what those messages go to) who has that kind's consent loses it too (a "no" only ever stops
    marketing). Returns how many."""
    field = FIELDS[kind_for_channel(kind)]
    if kind in BY_PHONE:
        same, words = ({"phone": customer.phone}, "same phone number") if customer.phone else (None, "")
    else:
        same, words = ({"email__iexact": customer.email}, "same e-mail") if customer.email else (None, "")
    if same is None:
        return 0
    older = Q(**{f"{field}_at__isnull": True}) | Q(**{f"{field}_at__lte": at})
    return (Customer.objects.filter(older, **same, **{field: True}).exclude(pk=customer.pk)
            .update(**{field: False, f"{field}_source": f"{source[:80]} ({words})", f"{field}_at": at}))


def withdraw(customer, source: str, at, kinds=KINDS) -> list[str]:
    """The customer said "no" to marketing on these kinds (e.g. to the shop's staff): recorded on
    the customer, from ``source``, and for every other customer with that e-mail or phone number
    (``withdraw_everywhere``). Returns the kinds that were given and are now withdrawn."""
    withdrawn, changed = [], []
    for kind in kinds:
        fields = record(customer, kind, False, source, at)
        if fields:
            withdrawn.append(kind)
            changed += fields
        else:  # already "no": say again since when, and from whom
            field = FIELDS[kind]
            setattr(customer, f"{field}_source", source[:100])
            setattr(customer, f"{field}_at", at)
            changed += [f"{field}_source", f"{field}_at"]
    customer.save(update_fields=[*changed, "updated_at"])
    for kind in kinds:
        withdraw_everywhere(customer, source, at, kind)
    return withdrawn


EARLIER = "earlier consent (the shop said it covered this channel)"   # as 0.1's migration 0023 wrote it
# Consent per channel came with 0.1's migration 0023, which 0.2's first migration replaces: a site
# that ran 0023 has its row (the date that counts); a site that began with 0.2, the squashed one's.
RELEASE_MIGRATIONS = ("0023_channels_consent_whatsapp", "0001_squashed_0023_channels_consent_whatsapp")


def earlier_covers(kind: str, dry_run: bool = False) -> int:
    """Give ``kind`` (SMS or WhatsApp) consent to every customer whose e-mail consent came before
    consent per channel (0.1's migration 0023 was applied), from then: the shop says its old single
    consent covered this channel too. A customer who has said anything about this kind since
    (given or withdrawn it) is left as they said. Returns how many (would be) given."""
    from django.db.migrations.recorder import MigrationRecorder

    if kind not in BY_PHONE:
        raise ValueError(f"earlier consent can cover sms or whatsapp, not {kind!r}")
    applied = (MigrationRecorder.Migration.objects.filter(app="masa", name__in=RELEASE_MIGRATIONS)
               .order_by("applied").values_list("applied", flat=True).first()) or timezone.now()
    field = FIELDS[kind]
    before = Q(marketing_consent_at__isnull=True) | Q(marketing_consent_at__lte=applied)
    customers = Customer.objects.filter(before, marketing_consent=True, **{field: False, f"{field}_at__isnull": True})
    if dry_run:
        return customers.count()
    return customers.update(**{field: True, f"{field}_at": F("marketing_consent_at"), f"{field}_source": EARLIER})
