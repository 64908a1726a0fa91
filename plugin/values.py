"""Small questions about values from packs and events, asked the same way everywhere."""
from __future__ import annotations

import re


def is_number(value) -> bool:
    """An int or a float, and not a bool (``True`` is an int to Python, never a number to a pack)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def listify(value) -> list:
    """A list as it is; anything else as a list of one (``category: walkers`` or ``[walkers, canes]``)."""
    return value if isinstance(value, list) else [value]


NAME_LIMIT = 60
# What a mail client or a phone would turn into a link, after NFKC (fullwidth "ｗｗｗ．" is "www."):
# a scheme or a path ("://", "/", "\\", ":"), an address ("@"), "www", a dot between letters or digits
# followed by two or more of them (a domain: "bit.ly", "evil.com"; initials "J. R. R." or "J.R.R."
# have one letter after each dot), a phone number (three digits in a row), markup and template tags.
_NOT_A_NAME = re.compile(r"[:/\\@<>{}\[\]|=]|\bwww|[^\W_][.\u3002\uff61][^\W_]{2}|\d{3}", re.I)
# Removed from what is typed: format (direction overrides, soft hyphens), surrogate, private-use
# and unassigned characters; control characters and line breaks become spaces.
_REMOVED, _SPACES = ("Cf", "Cs", "Co", "Cn"), ("Cc", "Zl", "Zp")


def person_name(value) -> str:
    """A name as anyone may type it at a checkout (a guest's billing name), made safe to greet
    with, for every source (Saleor webhooks, Django signals; ``events.Identity`` cleans every name it
    is given): NFKC-normalized (fullwidth letters are letters), control, format (direction
    override), private-use and unassigned characters removed, spaces collapsed, at most NAME_LIMIT
    characters; "" for what is not a name: anything a mail client would turn into a link (a domain
    such as "bit.ly/x", "www", "://", an address, a phone number) or a template tag would put the
    typist's words into the shop's message. "J. R. R. Tolkien", "Ruth-Ann O'Neil", "נועה", "محمد"
    are names. Escaping for HTML is the template's (the HTML part escapes every value)."""
    import unicodedata

    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKC", value[:10 * NAME_LIMIT])
    text = "".join(" " if unicodedata.category(ch) in _SPACES else ch
                   for ch in text if unicodedata.category(ch) not in _REMOVED)
    text = re.sub(r"\s+", " ", text).strip()
    if _NOT_A_NAME.search(text):
        return ""
    return text[:NAME_LIMIT].strip()


PHONE_LIMIT = 32


def phone_number(value) -> str:
    """A phone number as a store passes it ("+972 50-123-4567", "(03) 555 0199"): digits, "+",
    spaces, dashes, dots and parentheses, with 5 to 15 digits and at most PHONE_LIMIT characters;
    "" for anything else ("call me maybe", a number too long to store: a cut number is someone
    else's)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    text = value.strip()
    digits = sum(ch.isascii() and ch.isdigit() for ch in text)
    if len(text) > PHONE_LIMIT or not re.fullmatch(r"\+?[0-9 ().\-]+", text) or not 5 <= digits <= 15:
        return ""
    return text


def language_tag(value) -> str:
    """A customer's language as a store names it ("he", "en-US", "pt_BR"), or "" for anything else."""
    text = value.strip() if isinstance(value, str) else ""
    return text if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}", text) else ""
