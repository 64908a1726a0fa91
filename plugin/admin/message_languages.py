"""The languages a shop writes its messages in, by name in the admin's language ("Hebrew", "עברית")."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from ..models import Customer, MessageTemplate


def _configured_languages() -> list[str]:
    configured = (getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", None)
                  or getattr(settings, "WAGTAILADMIN_PERMITTED_LANGUAGES", None) or settings.LANGUAGES)
    return [code for code, _name in configured]


def site_languages() -> list[str]:
    """The languages this shop writes messages in: the site's, and any a message or customer has."""
    used = [*MessageTemplate.objects.exclude(locale="").order_by("locale").values_list("locale", flat=True).distinct(),
            *Customer.objects.exclude(locale="").order_by("locale").values_list("locale", flat=True).distinct()[:50]]
    return list(dict.fromkeys([*_configured_languages(), *(code.lower() for code in used)]))


def language_name(code: str) -> str:
    if not code:
        return _("Every language (the default)")
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        try:
            return str(get_language_info(code.split("-", 1)[0])["name_translated"])
        except KeyError:
            return code


def is_rtl(code: str) -> bool:
    try:
        return bool(code) and get_language_info(code.split("-", 1)[0])["bidi"]
    except KeyError:
        return False


def language_choices(current: str = "") -> list[tuple[str, str]]:
    codes = dict.fromkeys(["", *site_languages(), *([current] if current else [])])
    return [(code, language_name(code)) for code in codes]
