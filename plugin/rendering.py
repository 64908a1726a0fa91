"""Fill message templates with merge tags such as ``{{ customer.first_name }}``.

Templates see plain dictionaries only (never model instances), so a template cannot reach
methods or relations; they run in a sandboxed engine with Django's formatting tags and filters
only (``template_sandbox``), no loaders, and a tag outside it is a template that does not parse.

Text parts (subject, plain body, SMS, webhook JSON) render without HTML escaping: a customer
reads ``O'Brien & Co``, not ``O&#x27;Brien &amp;amp; Co``. The HTML part escapes every merge
value. What a render returns is plain ``str``, never a safe-marked string, so wherever the admin
shows it Django escapes it again. A render is bounded in work and size (``template_sandbox``).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError

from . import conf, message_versions
from .models import Customer, MessageTemplate, StoreEvent
from .template_sandbox import (BUDGET, MAX_RENDER_CHARS, BoundedTemplate, RenderBudget, RenderLimitExceeded,
                               plain_context)


class _SandboxEngine(Engine):
    default_builtins = ["masa.template_sandbox"]

    def from_string(self, template_code):
        """A template whose every node and filter is bounded while it renders (``template_sandbox``)."""
        return BoundedTemplate(template_code, engine=self)


_text_engine = _SandboxEngine(autoescape=False, string_if_invalid="", libraries={}, loaders=[])
_html_engine = _SandboxEngine(autoescape=True, string_if_invalid="", libraries={}, loaders=[])


CACHED_TEXT_LIMIT = 64 * 1024  # longer texts are compiled each time: the cache stays small


def _compiled(source: str, as_html: bool) -> BoundedTemplate:
    """A text compiled once per process, for every message that renders it (a batch of sends, a
    broadcast): a compiled template keeps no state between renders. A text that does not parse is
    not kept (it raises each time), nor is one longer than ``CACHED_TEXT_LIMIT`` (512 texts of
    at most 64 KiB each)."""
    if len(source) > CACHED_TEXT_LIMIT:
        return _compile(source, as_html)
    return _compiled_and_kept(source, as_html)


def _compile(source: str, as_html: bool) -> BoundedTemplate:
    return (_html_engine if as_html else _text_engine).from_string(source)


_compiled_and_kept = lru_cache(maxsize=512)(_compile)

# Markup that would run in a reader's browser: refused in every part of a template.
_ACTIVE_MARKUP = [
    (re.compile(r"<\s*/?\s*(script|iframe|object|embed|base|applet)\b", re.I), "<{0}> is not allowed"),
    (re.compile(r"<[a-z][^>]*?[\s/\"'](on[a-z]+)\s*=", re.I), "event handler attribute {0}= is not allowed"),
    (re.compile(r"(javascript|vbscript|livescript)\s*:", re.I), "{0}: URLs are not allowed"),
    (re.compile(r"<\s*meta\b[^>]*http-equiv", re.I), "<meta http-equiv> is not allowed"),
]
_URL_NOISE = re.compile(r"[\x00-\x20]+")


class TemplateError(Exception):
    """A message cannot be made from this template: missing, does not parse, or over its bounds."""


class TemplateMissing(TemplateError, LookupError):
    pass


class TemplateTooCostly(TemplateError):
    pass


class LinkUnavailable(TemplateError):
    """A link the message writes out cannot be made: ``MASA["PUBLIC_URL"]`` is not set."""


LINK_TAGS = ("unsubscribe_url", "view_url", "survey_url", "join_list_url", "opt_in_url", "last_message.view_url")


class MissingLink:
    """A link merge tag while ``MASA["PUBLIC_URL"]`` is unset. False in ``{% if survey_url %}``
    (a template may leave the link out), an error where it is written out: a message never
    goes with an empty link ("Yes: satisfied  No: unhappy")."""

    def __init__(self, name: str):
        self.name = name

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        raise LinkUnavailable(f"{{{{ {self.name} }}}} needs MASA['PUBLIC_URL'] (the address customers reach this "
                              f"site at): without it the link would be empty")


def links_or_missing(links: dict, prefix: str = "") -> dict:
    """Each link as it is, or a MissingLink where it is empty."""
    return {name: url or MissingLink(f"{prefix}{name}") for name, url in links.items()}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html_body: str


# What ``{{ customer.first_name }}`` writes for a customer whose name is unknown, by the language
# of the template's text (its ``locale``, then its language; "" is the default text). Hebrew has no
# word that greets anyone naturally in place of a name ("שלום לך" reads well, "תודה, לך" does not),
# so there the name is left out and the greeting closes up around it: "שלום," / "חושבים עליך".
FIRST_NAME_FALLBACK = {"": "there", "en": "there", "he": ""}
_NO_NAME = "\ue000"  # stands for the unknown name while the template renders (a private-use character)
_NO_NAME_AT_LINE_END = re.compile(r"[ \t]*[,،]?[ \t]*" + _NO_NAME + r"(?=[ \t]*[!.?]?[ \t]*(?:\r?\n|$|<))")
_NO_NAME_INSIDE = re.compile(r"[ \t]*" + _NO_NAME)


class UnknownName(str):
    """``customer.first_name`` of a customer without a name: false (``{% if customer.first_name %}``)
    and empty to ``|default:"…"``, so a template may write its own fallback; written out, the word of
    the template's language (``FIRST_NAME_FALLBACK``, put in by ``render_text``)."""

    def __new__(cls):
        return super().__new__(cls, _NO_NAME)

    def __bool__(self) -> bool:
        return False


def fill_unknown_name(text: str, locale: str = "") -> str:
    """``text`` with the unknown name replaced by its language's word, or left out with the space
    and comma that led to it when that language has none."""
    if _NO_NAME not in text:
        return text
    language = (locale or "").split("-", 1)[0]
    word = FIRST_NAME_FALLBACK.get(locale or "", FIRST_NAME_FALLBACK.get(language, FIRST_NAME_FALLBACK[""]))
    if word:
        return text.replace(_NO_NAME, word)
    return _NO_NAME_INSIDE.sub("", _NO_NAME_AT_LINE_END.sub("", text))


def merge_context(customer: Customer, event: StoreEvent | None) -> dict:
    data = event.data if event is not None else {}
    return {
        "customer": {
            "first_name": customer.first_name or UnknownName(),
            "last_name": customer.last_name,
            "full_name": customer.full_name or customer.email,
            "email": customer.email,
            "orders_count": customer.orders_count,
            "tier": (customer.facts or {}).get("tier", ""),
            "lists": [tag.removeprefix(Customer.LIST_TAG) for tag in customer.tags or []
                      if tag.startswith(Customer.LIST_TAG)],
        },
        "order": {
            "number": data.get("number", ""),
            "total": data.get("total", ""),
            "currency": data.get("currency", ""),
            "products": [line.get("product_name", "") for line in data.get("lines", [])],
        },
        "product": {"name": data.get("product_name", ""), "id": data.get("product_id", "")},
        "facts": {k: v for k, v in (customer.facts or {}).items() if isinstance(v, (str, int, float, bool))},
        "event": {"name": event.name if event is not None else ""},
        "recommendation": {"name": "", "url": "", "price": "", "product": ""},
        "voucher": {"code": "", "value": "", "type": "", "valid_until": ""},
        "last_message": {"subject": "", "view_url": MissingLink("last_message.view_url")},
        **links_or_missing(dict.fromkeys(("unsubscribe_url", "view_url", "survey_url", "join_list_url", "opt_in_url"), "")),
    }


def find_template(key: str, locale: str = "", channel_kind: str = "") -> MessageTemplate:
    """The text a send over a channel of ``channel_kind`` takes for ``locale`` (``he``, ``en-us``): the
    message's version for that kind when it has one, else its main version (``message_versions``),
    each by locale, else language (``en``), else its default text. "" asks for the main version."""
    return pick_template(MessageTemplate.objects.filter(key=key), key, locale, channel_kind)


def pick_template(rows, key: str, locale: str = "", channel_kind: str = "") -> MessageTemplate:
    """``find_template`` among rows already read (a batch of sends reads each message's once)."""
    template = message_versions.pick(rows, locale, channel_kind)
    if template is None:
        raise TemplateMissing(f"no message template {key!r}")
    return template


def render_text(source: str, context: dict, *, as_html: bool, budget: RenderBudget | None = None,
                locale: str = "") -> str:
    """One part of a message, as plain ``str``, in the template's ``locale`` (the unknown name's
    word, ``fill_unknown_name``); raises TemplateSyntaxError or RenderLimitExceeded."""
    if not source:
        return ""
    budget = budget or RenderBudget()
    ctx = Context({**plain_context(context), BUDGET: budget}, autoescape=as_html)
    with budget.active():
        output = fill_unknown_name(str.__str__(_compiled(source, as_html).render(ctx)), locale)
    budget.check()  # a bound passed where an expression swallowed the error still fails the render
    if len(output) > MAX_RENDER_CHARS:
        raise RenderLimitExceeded(f"the message is longer than {MAX_RENDER_CHARS} characters")
    return output


def render(template: MessageTemplate, context: dict) -> RenderedMessage:
    budget = RenderBudget()
    context = plain_context(context)  # once for the three parts (already plain, it is not walked again)
    try:
        return RenderedMessage(
            subject=render_text(template.subject, context, as_html=False, budget=budget, locale=template.locale).strip(),
            body=render_text(template.body, context, as_html=False, budget=budget, locale=template.locale),
            html_body=render_text(template.html_body, context, as_html=True, budget=budget, locale=template.locale),
        )
    except TemplateSyntaxError as error:
        raise TemplateMissing(f"template {template.key!r} does not parse: {error}") from error
    except RenderLimitExceeded as error:
        raise TemplateTooCostly(f"template {template.key!r} was not sent: {error}") from error
    except LinkUnavailable as error:
        raise LinkUnavailable(f"template {template.key!r} was not sent: {error}") from error


def active_markup(text: str) -> list[str]:
    """Markup in ``text`` that would run script in a browser, each as "line N: what"."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        decoded = html.unescape(line)
        for pattern, message in _ACTIVE_MARKUP:
            for candidate in (decoded, _URL_NOISE.sub("", decoded)):
                match = pattern.search(candidate)
                if match:
                    found.append(f"line {number}: {message.format(*(g.lower() for g in match.groups()))}")
                    break
    return list(dict.fromkeys(found))


def sample_context(links: bool = True) -> dict:
    """A merge context with every tag filled, for trying a template out before it is saved; with
    ``links=False`` and no ``MASA["PUBLIC_URL"]``, Masa's links are missing, as a send would find them."""
    sample = Customer(email="sample@example.com", first_name="Sample", last_name="Customer", orders_count=3,
                      facts={"tier": "gold"}, tags=[f"{Customer.LIST_TAG}news", f"{Customer.LIST_TAG}offers"])
    event = StoreEvent(name="order_placed", data={
        "number": "1001", "total": "99.90", "currency": "USD", "product_name": "Sample product", "product_id": "1",
        "lines": [{"product_name": f"Product {n}"} for n in range(3)]})
    return {**merge_context(sample, event), **sample_links(links)}


def sample_links(links: bool = True) -> dict:
    """Masa's links pointing at a sample page (a preview must not make real tracked links)."""
    public = (conf.get("PUBLIC_URL") or ("https://shop.example" if links else "")).rstrip("/")
    if not public:
        return {}
    made = {name: f"{public}/masa/sample/{name}/" for name in LINK_TAGS if "." not in name}
    return {**made, "last_message": {"subject": "Sample subject", "view_url": made["view_url"]}}


def template_problems(**texts: str) -> list[str]:
    """What keeps these texts (subject=…, body=…, html_body=…) from being templates, per field:
    syntax, markup that would run script, and a trial render over its bounds."""
    return _trial(texts, sample_context())


def link_problems(**texts: str) -> list[str]:
    """Links these texts write out that this site cannot make (``MASA["PUBLIC_URL"]`` unset):
    refused when a template is saved or a pack imported, as a send would fail on them."""
    if conf.get("PUBLIC_URL"):
        return []
    return [problem for problem in _trial(texts, sample_context(links=False)) if "PUBLIC_URL" in problem]


def _trial(texts: dict, context: dict) -> list[str]:
    problems = []
    for name, text in texts.items():
        problems += [f"{name}: {found}" for found in active_markup(text)]
        try:
            (_html_engine if name == "html_body" else _text_engine).from_string(text or "")
        except TemplateSyntaxError as error:
            problems.append(f"{name}: {error}")
            continue
        try:
            render_text(text or "", context, as_html=name == "html_body")
        except (RenderLimitExceeded, LinkUnavailable) as error:
            problems.append(f"{name}: {error}")
        except Exception as error:  # noqa: BLE001 - any failure of a trial render is a problem to report
            problems.append(f"{name}: does not render: {error.__class__.__name__}: {error}")
    return problems


def check_template(template: MessageTemplate) -> None:
    """Raise ValidationError, per field, if this template cannot be saved (template_problems)."""
    errors: dict[str, list[str]] = {}
    texts = {"subject": template.subject, "body": template.body, "html_body": template.html_body}
    for problem in template_problems(**texts) or link_problems(**texts):
        name, _, text = problem.partition(":")
        errors.setdefault(name, []).append(text.strip())
    if errors:
        raise ValidationError(errors)
