"""Fill message templates with merge tags such as ``{{ customer.first_name }}``.

Templates see plain dictionaries only (never model instances), so a template cannot reach
methods or relations; they run in a sandboxed engine with Django's formatting tags and filters
only (``template_sandbox``), no loaders, and a tag outside it is a template that does not parse.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError

from .models import Customer, MessageTemplate, StoreEvent
from .rules.facts import LIST_TAG

class _SandboxEngine(Engine):
    default_builtins = ["masa.template_sandbox"]


_text_engine = _SandboxEngine(autoescape=False, string_if_invalid="", libraries={}, loaders=[])
_html_engine = _SandboxEngine(autoescape=True, string_if_invalid="", libraries={}, loaders=[])


class TemplateMissing(LookupError):
    pass


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html_body: str


def merge_context(customer: Customer, event: StoreEvent | None) -> dict:
    data = event.data if event is not None else {}
    return {
        "customer": {
            "first_name": customer.first_name or "there",
            "last_name": customer.last_name,
            "full_name": customer.full_name or customer.email,
            "email": customer.email,
            "orders_count": customer.orders_count,
            "tier": (customer.facts or {}).get("tier", ""),
            "lists": [tag.removeprefix(LIST_TAG) for tag in customer.tags or [] if tag.startswith(LIST_TAG)],
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
        "last_message": {"subject": "", "view_url": ""},
        "unsubscribe_url": "", "view_url": "", "survey_url": "", "join_list_url": "",
    }


def find_template(key: str, locale: str = "") -> MessageTemplate:
    candidates = {t.locale: t for t in MessageTemplate.objects.filter(key=key, locale__in=[locale, ""])}
    template = candidates.get(locale) or candidates.get("")
    if template is None:
        raise TemplateMissing(f"no message template {key!r}")
    return template


def render(template: MessageTemplate, context: dict) -> RenderedMessage:
    ctx = Context(context)
    try:
        return RenderedMessage(
            subject=_text_engine.from_string(template.subject).render(ctx).strip(),
            body=_text_engine.from_string(template.body).render(ctx),
            html_body=_html_engine.from_string(template.html_body).render(ctx) if template.html_body else "",
        )
    except TemplateSyntaxError as error:
        raise TemplateMissing(f"template {template.key!r} does not parse: {error}") from error


def template_problems(**texts: str) -> list[str]:
    """What keeps these texts (subject=…, body=…, html_body=…) from being templates, per field."""
    problems = []
    for name, text in texts.items():
        engine = _html_engine if name == "html_body" else _text_engine
        try:
            engine.from_string(text or "")
        except TemplateSyntaxError as error:
            problems.append(f"{name}: {error}")
    return problems
