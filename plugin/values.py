"""Small questions about values from packs and events, asked the same way everywhere."""
from __future__ import annotations


def is_number(value) -> bool:
    """An int or a float, and not a bool (``True`` is an int to Python, never a number to a pack)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def listify(value) -> list:
    """A list as it is; anything else as a list of one (``category: walkers`` or ``[walkers, canes]``)."""
    return value if isinstance(value, list) else [value]


NAME_LIMIT = 60


def person_name(value) -> str:
    """A name as anyone may type it at a checkout (a guest's billing name), made safe to greet
    with: text only, control and direction-override characters removed, spaces collapsed, at most
    NAME_LIMIT characters; "" for what is not a name (a link or an address would put the typist's
    words into the shop's message). Escaping for HTML is the template's (the HTML part escapes
    every value)."""
    import re
    import unicodedata

    if not isinstance(value, str):
        return ""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in value if unicodedata.category(ch) != "Cf")
    text = re.sub(r"\s+", " ", text).strip()
    if re.search(r"://|www\.|@|\{\{|\{%|<|>", text, re.I):
        return ""
    return text[:NAME_LIMIT].strip()
