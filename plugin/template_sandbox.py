"""The only template tags and filters message templates may use, and the bounds of one render.

Merge tags see plain values (rendering.merge_context builds dictionaries, never model
instances), and templates get Django's formatting tags and filters but nothing that reaches
outside the message: no ``debug`` (it prints the context and loaded modules), ``include``,
``extends``, ``load``, ``ssi``, ``url`` or ``csrf_token``; and nothing that turns escaping off
(``safe``, ``safeseq``, ``autoescape``): a merge value is always text in an HTML part.

A render is bounded: filters that pad or format to a width take at most MAX_FILTER_WIDTH, every
``for`` loop iteration counts against MAX_LOOP_ITERATIONS and the clock against
MAX_RENDER_SECONDS, and ``rendering.render`` refuses output over MAX_RENDER_CHARS.
"""
from __future__ import annotations

import functools
import time

from django.template import Library, Node, defaultfilters, defaulttags

ALLOWED_TAGS = {
    "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now", "regroup",
    "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
}
REFUSED_FILTERS = {"pprint", "safe", "safeseq"}
WIDTH_FILTERS = ("ljust", "rjust", "center", "floatformat", "stringformat")
MAX_FILTER_WIDTH = 200
MAX_LOOP_ITERATIONS = 5_000
MAX_RENDER_SECONDS = 2.0
MAX_RENDER_CHARS = 200_000
BUDGET = "_masa_render_budget"  # a name templates cannot reach: variables may not start with "_"


class RenderLimitExceeded(Exception):
    """A template did more work or made more text than one message may."""


class RenderBudget:
    def __init__(self):
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.iterations = 0

    def spend(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise RenderLimitExceeded(f"the template loops more than {MAX_LOOP_ITERATIONS} times")
        if time.monotonic() > self.deadline:
            raise RenderLimitExceeded(f"the template took more than {MAX_RENDER_SECONDS:g} s to render")


class _SpendNode(Node):
    """Placed first in every loop body: each iteration spends from the render's budget."""

    def render(self, context):
        budget = context.get(BUDGET)
        if budget is not None:
            budget.spend()
        return ""


def _bounded_for(parser, token):
    node = defaulttags.do_for(parser, token)
    node.nodelist_loop.insert(0, _SpendNode())
    return node


def _width(value) -> int | None:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return int(digits) if digits else None


def _bounded(name):
    original = defaultfilters.register.filters[name]

    @functools.wraps(original)
    def bounded(value, *arg):
        width = _width(arg[0]) if arg else None
        if width is not None and width > MAX_FILTER_WIDTH:
            raise RenderLimitExceeded(f"|{name}:{str(arg[0])[:20]!r} asks for more than {MAX_FILTER_WIDTH} characters")
        return original(value, *arg)

    return bounded


register = Library()
register.tags.update({name: tag for name, tag in defaulttags.register.tags.items() if name in ALLOWED_TAGS})
register.tags["for"] = _bounded_for
register.filters.update({name: f for name, f in defaultfilters.register.filters.items() if name not in REFUSED_FILTERS})
register.filters.update({name: _bounded(name) for name in WIDTH_FILTERS})
