"""The merge tags a message can use, as an owner reads them: "first name", not ``{{ customer.first_name }}``.

The list is read off the context a send really renders with (``rendering.sample_context``), so
a tag the renderer offers appears here and one it does not offer cannot. A voucher's and a
recommended product's tags are offered only for a message a rule sends with a voucher or a
recommendation: elsewhere they render empty. What an owner has no use for (ids, the event's
internal name, free-form facts) is left out. Lists are joined with commas.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import Rule
from ..rendering import sample_context
from ..rules.wording import template_title
from ..rules.compiler import walk_steps

LEFT_OUT = {"product.id", "event.name", "voucher.type", "recommendation.product"}
LEFT_OUT_GROUPS = {"facts"}
ONLY_WHEN_SENT_WITH = {"voucher": "voucher", "recommendation": "recommend"}

GROUPS = {
    "customer": _("The customer"), "order": _("Their order"), "product": _("The product"),
    "recommendation": _("The recommended product"), "voucher": _("The voucher"),
    "last_message": _("Their last message"), "": _("Links"),
}
LABELS = {
    "customer.first_name": _("first name"), "customer.last_name": _("last name"),
    "customer.full_name": _("full name"), "customer.email": _("email address"),
    "customer.orders_count": _("number of orders"), "customer.tier": _("loyalty tier"),
    "customer.lists": _("lists they joined"),
    "order.number": _("order number"), "order.total": _("order total"), "order.currency": _("currency"),
    "order.products": _("products ordered"),
    "product.name": _("product name"),
    "recommendation.name": _("recommended product"), "recommendation.url": _("recommended product's link"),
    "recommendation.price": _("recommended product's price"),
    "voucher.code": _("voucher code"), "voucher.value": _("voucher value"),
    "voucher.valid_until": _("voucher valid until"),
    "last_message.subject": _("last message's subject"), "last_message.view_url": _("last message's link"),
    "unsubscribe_url": _("unsubscribe link"), "view_url": _("view in the browser link"),
    "survey_url": pgettext_lazy("merge tag", "survey answer link"), "join_list_url": _("join a list link"),
    "opt_in_url": _("confirm consent link"),
}
_TAG = re.compile(r"{{\s*([a-z_]+(?:\.[a-z_]+)?)(?:\|[^}]*)?\s*}}")


@dataclass(frozen=True)
class MergeTag:
    name: str        # customer.first_name
    label: str       # first name (translated)
    group: str       # The customer (translated)
    tag: str         # {{ customer.first_name }}: what is inserted in the text


def _leaves(context: dict, prefix: str = ""):
    for name, value in context.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _sent_with(key: str) -> set[str]:
    """The send options (``voucher``, ``recommend``) some rule sends message ``key`` with."""
    options = set()
    for definition in Rule.objects.values_list("definition", flat=True):
        steps = definition.get("steps") if isinstance(definition, dict) else None
        for _path, step in walk_steps(steps):
            argument = step.get("send")
            if isinstance(argument, dict) and argument.get("template") == key:
                options |= set(argument) & set(ONLY_WHEN_SENT_WITH.values())
    return options


def label_of(name: str) -> str:
    return str(LABELS.get(name) or name.rpartition(".")[2].replace("_", " "))


def merge_tags(key: str = "") -> list[MergeTag]:
    """Every merge tag message ``key`` can use, grouped (customer, order, …, links), in words."""
    sent_with = _sent_with(key) if key else set()
    tags = []
    for name, value in _leaves(sample_context()):
        group = name.partition(".")[0] if "." in name else ""
        if name in LEFT_OUT or group in LEFT_OUT_GROUPS:
            continue
        if group in ONLY_WHEN_SENT_WITH and ONLY_WHEN_SENT_WITH[group] not in sent_with:
            continue
        tag = f'{{{{ {name}|join:", " }}}}' if isinstance(value, list) else f"{{{{ {name} }}}}"
        tags.append(MergeTag(name, label_of(name), str(GROUPS.get(group, group)), tag))
    order = list(GROUPS)
    return sorted(tags, key=lambda tag: order.index(tag.name.partition(".")[0]) if "." in tag.name
                  and tag.name.partition(".")[0] in order else len(order))


def in_words(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_a_tag) with each merge tag as its words ("first name")."""
    pieces, at = [], 0
    for match in _TAG.finditer(text or ""):
        if match.start() > at:
            pieces.append((text[at:match.start()], False))
        pieces.append((label_of(match.group(1)), True))
        at = match.end()
    if at < len(text or ""):
        pieces.append((text[at:], False))
    return pieces


def text_in_words(template) -> str:
    """A message's subject (or first line), merge tags as their words, isolated as data (HTML). A
    tag's words carry their own ``dir``: the admin's language (Hebrew "שם פרטי") must not make an
    English subject right-to-left."""
    pieces = in_words(template_title("", template.subject, template.body))
    tag = '<span class="masa-tag-word" dir="auto">{}</span>'
    shown = format_html_join("", "{}", ((format_html(tag, piece) if is_tag else piece,) for piece, is_tag in pieces))
    return format_html('<bdi dir="auto">{}</bdi>', shown)


def title_in_words(template) -> str:
    """The same as plain text: "Time to restock, first name?"."""
    return "".join(piece for piece, _is_tag in in_words(template_title("", template.subject, template.body)))
