"""What an owner reads on a page: the text of its ``<main>``, outside the collapsed "details" /
"for agencies" disclosures, and what in it is not a shop owner's words.

``visible_text`` walks the HTML (no browser): it leaves out scripts, styles, text areas (an
editing surface holds the owner's own text, tags included) and a ``<details>`` that is not
``open``. ``engineer_words`` names what an owner should never meet there: ``$parameter`` tokens,
template tags, JSON, Python reprs and Saleor ids. ``untranslated`` names, on a page rendered in
Hebrew, the Latin-letter words that are neither translated nor isolated as data (``<bdi>``,
``<code>``, ``dir="ltr"`` or ``translate="no"``)."""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from html.parser import HTMLParser

SKIPPED = {"script", "style", "textarea", "template", "noscript"}
DATA = {"bdi", "code", "kbd", "samp", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# Latin words an owner reads in Hebrew too: names of products and standards, not sentences.
LATIN_NAMES = {"Masa", "Saleor", "Wagtail", "SMS", "WhatsApp", "Email", "email", "A", "B", "PDF", "CSV", "URL", "OK",
               "Klaviyo", "smoove", "Google", "Facebook", "Instagram", "UTC", "GMT"}


@dataclass(frozen=True)
class Text:
    text: str
    isolated: bool       # data set apart from the page's language (<bdi>, <code>, dir="ltr", translate="no")
    where: str           # the element path, for the failure message


class _Walker(HTMLParser):
    def __init__(self, root: str):
        super().__init__(convert_charrefs=True)
        self.root = root
        self.stack: list[tuple[str, bool, bool]] = []    # (tag, hidden, isolated)
        self.main_depth = None
        self.texts: list[Text] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in VOID:
            return
        hidden, isolated = (self.stack[-1][1], self.stack[-1][2]) if self.stack else (False, False)
        if tag in SKIPPED or (tag == "details" and "open" not in attributes) or "hidden" in attributes:
            hidden = True
        if tag == "summary" and self.stack and self.stack[-1][0] == "details":
            hidden = self.stack[-2][1] if len(self.stack) > 1 else False   # a summary shows while its details is closed
        if tag in DATA or attributes.get("dir") in ("ltr", "auto") or attributes.get("translate") == "no":
            isolated = True
        if self.main_depth is None and (tag == self.root or (self.root.startswith(".") and self.root[1:] in (
                attributes.get("class") or "").split())):
            self.main_depth = len(self.stack)
        self.stack.append((tag, hidden, isolated))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        if self.main_depth is not None and self.main_depth >= 0 and len(self.stack) <= self.main_depth:
            self.main_depth = -1     # the root has closed: nothing after it counts

    def handle_data(self, data):
        if self.main_depth is None or self.main_depth < 0 or not data.strip() or not self.stack:
            return
        tag, hidden, isolated = self.stack[-1]
        if not hidden:
            self.texts.append(Text(" ".join(data.split()), isolated, "/".join(each[0] for each in self.stack[-4:])))


def visible_text(page: str, root: str = "main") -> list[Text]:
    """The visible text inside the first ``root`` element (a tag name, or ".class")."""
    walker = _Walker(root)
    walker.feed(page)
    return walker.texts


PARAMETER = re.compile(r"(?<![\w$])\$[a-z_][a-z0-9_]*\b")
TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
JSON = re.compile(r"[{\[]\s*\"[^\"]+\"\s*:|\"\s*:\s*[{\[\"]")
PYTHON_REPR = re.compile(r"\[\s*'[^']*'\s*[,\]]|\{\s*'[^']*'\s*:|<[A-Za-z_.]+ object at 0x|\b(?:True|False|None)\b"
                         r"|<(?:Rule|Customer|Channel|MessageTemplate|ScheduledAction|Delivery):")
BASE64_WORD = re.compile(r"\b[A-Za-z0-9+/]{8,}={0,2}")


def saleor_ids(text: str) -> list[str]:
    """Saleor's global ids in ``text`` ("VXNlcjox" is base64 of "User:1")."""
    found = []
    for word in BASE64_WORD.findall(text):
        try:
            decoded = base64.b64decode(word + "=" * (-len(word) % 4), validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if re.fullmatch(r"[A-Z][A-Za-z]+:[\w-]+", decoded):
            found.append(word)
    return found


def engineer_words(page: str, root: str = "main") -> list[str]:
    """What an owner should not read outside a collapsed disclosure, with where it is."""
    problems = []
    for text in visible_text(page, root):
        for name, pattern in (("a $parameter", PARAMETER), ("a template tag", TEMPLATE_TAG), ("JSON", JSON),
                              ("a Python value", PYTHON_REPR)):
            match = pattern.search(text.text)
            if match:
                problems.append(f"{name} {match.group(0)!r} in {text.text[:120]!r} ({text.where})")
        problems += [f"a Saleor id {word!r} in {text.text[:120]!r} ({text.where})" for word in saleor_ids(text.text)]
    return problems


LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
ISOLATED = re.compile("[\u2066\u2067\u2068][^\u2069]*\u2069")     # plain text's isolates (masa.bidi)


def untranslated(page: str, root: str = "main") -> list[str]:
    """The English left on a page rendered in Hebrew: Latin words outside isolated data, except
    product names (``LATIN_NAMES``)."""
    problems = []
    for text in visible_text(page, root):
        if text.isolated:
            continue
        words = [word for word in LATIN_WORD.findall(ISOLATED.sub(" ", text.text)) if word not in LATIN_NAMES]
        if words:
            problems.append(f"{text.text[:140]!r} ({text.where})")
    return problems
