"""What a channel asks the shop owner: its providers, and each provider's labelled settings.

A channel module declares, next to the code that reads them, the ``Provider``s of its kind and
each provider's ``Setting``s (as django-anymail backends name their settings). The admin builds
its form from these declarations: a new provider brings its own fields, and the form refuses a
channel whose required settings are missing, in the words declared here.

A setting is kept in ``Channel.config`` (shown back), or in ``Channel.secrets``: either because it
is secret (write-only, never shown again) or because the backend reads it with the secrets
(``in_secrets``: an SMTP host is passed to the mail connection with its password).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from .safety import UnsafeDestination, check_url

TEXT, EMAIL, URL, SENDER, NUMBER, FLAG = "text", "email", "url", "sender", "number", "flag"
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
SENDER_NAME = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


@dataclass(frozen=True)
class Setting:
    """One labelled field of a provider's form; required when it says what ``missing`` is."""

    name: str                 # its key in Channel.config (or Channel.secrets)
    label: str
    missing: str = ""         # the sentence shown when it is left empty ("Enter the sender's phone number")
    help: str = ""
    type: str = TEXT          # text, email, url, sender (a phone number or a sender name), number, flag
    secret: bool = False      # write-only: kept in Channel.secrets, never shown again
    in_secrets: bool = False  # kept in Channel.secrets (the backend reads it with them) but shown back
    placeholder: str = ""
    for_agencies: bool = False  # shown under the collapsed "for agencies" part of the form
    generated: bool = False   # left empty, the form stores a random value (a token the owner copies elsewhere)

    @property
    def required(self) -> bool:
        return bool(self.missing)

    @property
    def stored_in_secrets(self) -> bool:
        return self.secret or self.in_secrets

    def clean(self, value):
        """The value to store, from what was typed; raises ValidationError in the owner's words."""
        if self.type == FLAG:
            return bool(value)
        value = str(value if value is not None else "").strip()
        if not value:
            return ""
        if self.type == EMAIL:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(_("Enter an email address, like care@yourshop.co.il.")) from None
        elif self.type == URL:
            try:
                check_url(value, resolve=False)
            except UnsafeDestination:
                raise ValidationError(_("Enter a public web address starting with https:// (an address inside "
                                        "the server's own network, or one with a password in it, is refused).")) \
                    from None
        elif self.type == SENDER:
            number = re.sub(r"[\s\-().]", "", value)
            if PHONE.match(number):
                return number
            if SENDER_NAME.match(value):
                return value
            raise ValidationError(_("Enter the phone number in international form, like +972501234567 "
                                    "(or a sender name of up to 11 English letters and digits, if your "
                                    "provider allows one)."))
        elif self.type == NUMBER:
            if not value.isdigit():
                raise ValidationError(_("Enter a whole number."))
            return int(value)
        return value


@dataclass(frozen=True)
class Provider:
    """One way a kind of channel is delivered (Twilio, a generic SMS API, the site's email…)."""

    key: str                  # what the form posts; stable
    label: str
    description: str
    settings: tuple[Setting, ...] = ()
    marks: dict = field(default_factory=dict)  # the config entries that say a channel uses this provider
    custom: bool = False      # stands for settings no declared provider matches (set up by an agency)

    def matches(self, config: dict) -> bool:
        return all(((config or {}).get(name) or "") == value for name, value in self.marks.items())

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


def custom_provider(config: dict) -> Provider:
    """For a channel whose settings no declared provider recognises: keeps them as they are."""
    return Provider(key="custom", label=_("Set up by an agency"), custom=True, marks=dict(config or {}),
                    description=_("These settings were written by hand; they are kept as they are."))
