"""The only template tags and filters message templates may use, and the bounds of one render.

Merge tags see plain values (rendering.merge_context builds dictionaries, never model
instances), and templates get Django's formatting tags and filters but nothing that reaches
outside the message: no ``debug`` (it prints the context and loaded modules), ``include``,
``extends``, ``load``, ``ssi``, ``url`` or ``csrf_token``; and nothing that turns escaping off
(``safe``, ``safeseq``, ``autoescape``): a merge value is always text in an HTML part.

A render is bounded while it runs, not only once it is done: filters that pad or format to a
width take at most MAX_FILTER_WIDTH; every ``for`` loop iteration counts against
MAX_LOOP_ITERATIONS; every node rendered counts against MAX_NODE_RENDERS and the clock against
MAX_RENDER_SECONDS; no filter result and no node's output may hold more than MAX_VALUE_CHARS
(``join`` is measured before it joins), and all they make together counts against
MAX_RENDER_WORK. So a value that doubles per ``{% with a=b|add:b %}``, a filter chain that grows
its text, or a loop that repeats a long value is stopped when it passes a bound, whatever the
template writes out in the end; ``rendering.render`` refuses output over MAX_RENDER_CHARS.
Templates parse with ``BoundedTemplate`` (every node's render bounded) and render inside
``RenderBudget.active()``; validation, pack import, preview and send all render this way.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from collections.abc import Set as AbstractSet

from django.template import Library, Node, defaultfilters, defaulttags
from django.template.base import Lexer, Parser, Template, VariableNode, render_value_in_context
from django.utils.translation import gettext as _

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
MAX_VALUE_CHARS = MAX_RENDER_CHARS
MAX_NODE_RENDERS = 200_000
MAX_RENDER_WORK = 25 * MAX_RENDER_CHARS  # every node's output and filter's result, added up
BUDGET = "_masa_render_budget"  # a name templates cannot reach: variables may not start with "_"


class RenderLimitExceeded(Exception):
    """A template did more work or made more text than one message may."""


class RenderBudget:
    """What one message's render may still do. A bound passed is kept (``exceeded``): an
    expression that swallows errors (``{% if a|add:b == c %}``) cannot hide it from the render."""

    def __init__(self):
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.iterations = 0
        self.nodes = 0
        self.work = 0
        self.exceeded = ""

    def fail(self, reason: str):
        self.exceeded = self.exceeded or reason
        raise RenderLimitExceeded(self.exceeded)

    def check(self) -> None:
        if self.exceeded:
            raise RenderLimitExceeded(self.exceeded)
        if time.monotonic() > self.deadline:
            self.fail(f"the template took more than {MAX_RENDER_SECONDS:g} s to render")

    def spend(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            self.fail(f"the template loops more than {MAX_LOOP_ITERATIONS} times")
        self.check()

    def node(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODE_RENDERS:
            self.fail(_("the template renders more than %(limit)s tags and texts") % {"limit": MAX_NODE_RENDERS})
        self.check()

    def made(self, size: int, what: str) -> None:
        """``what`` made a value of ``size`` characters."""
        if size > MAX_VALUE_CHARS:
            self.fail(_("%(what)s makes a value of more than %(limit)s characters")
                      % {"what": what, "limit": MAX_VALUE_CHARS})
        self.work += size
        if self.work > MAX_RENDER_WORK:
            self.fail(_("the template makes more than %(limit)s characters of text while rendering")
                      % {"limit": MAX_RENDER_WORK})
        self.check()

    @contextlib.contextmanager
    def active(self):
        """Filters and nodes rendered inside spend from this budget."""
        token = _active.set(self)
        try:
            yield self
        finally:
            _active.reset(token)


_active: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("masa_render_budget", default=None)


def _budget() -> RenderBudget:
    """The render's budget; outside one, a fresh one: a value is bounded wherever it is made."""
    return _active.get() or RenderBudget()


def size_of(value, limit: int = MAX_VALUE_CHARS) -> int:
    """The characters a value holds (a list or mapping: its items', at least 1 each), counted
    until past ``limit``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        total = 0
        for item in value:
            total += max(1, size_of(item, limit - total))
            if total > limit:
                break
        return total
    return 1


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


def _joined_size(value, separator) -> int:
    """How long ``value|join:separator`` would be, found without joining."""
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return size_of(value) + max(len(value) - 1, 0) * size_of(str(separator))
    return 0


def _bounded(name, original):
    """``original`` (a filter), refused when it would make a value over the bounds."""

    @functools.wraps(original)
    def bounded(value, *args, **kwargs):
        budget = _budget()
        budget.check()
        if name in WIDTH_FILTERS and args:
            width = _width(args[0])
            if width is not None and width > MAX_FILTER_WIDTH:
                budget.fail(f"|{name}:{str(args[0])[:20]!r} asks for more than {MAX_FILTER_WIDTH} characters")
        if name == "join" and args:
            budget.made(_joined_size(value, args[0]), f"|{name}")
        if name == "stringformat" and args and str(args[0]).endswith("r"):
            args = (str(args[0])[:-1] + "s", *args[1:])  # a value's words, never its Python repr
        result = plain(original(_plain_text_input(name, original, value), *args, **kwargs))
        budget.made(size_of(result), f"|{name}")
        return result

    return bounded


def _render_bounded(node, render_annotated, context):
    budget = _budget()
    budget.node()
    output = render_annotated(node, context)
    budget.made(size_of(output), _what(node))
    return output


def _what(node) -> str:
    """The tag a node is, as the template writes it: ``{% for %}``, ``{{ … }}``, or its text."""
    kind, contents = node.token.token_type.name, node.token.contents
    if kind == "BLOCK":
        return f"{{% {contents.split()[0]} %}}"
    return f"{{{{ {contents[:40]} }}}}" if kind == "VAR" else _("the template's text")


LIST_SEPARATOR = ", "


class PlainList(list):
    """A list merge value whose text is its items joined with ", " (``mug, filters``), however a
    tag or filter turns it into text (``str``, ``repr``, ``%s``/``%r``); it still iterates,
    indexes and counts as a list."""

    def __str__(self):
        return LIST_SEPARATOR.join(text for text in (str(plain_value(item)) for item in self) if text != "")

    __repr__ = __str__

    def __format__(self, spec):
        return format(str(self), spec)


class _PlainPairs(PlainList):
    """A mapping's ``.items``: it loops as pairs, and as text it is nothing (like its mapping)."""

    def __str__(self):
        return ""

    __repr__ = __str__


class PlainDict(dict):
    """A mapping merge value: its fields are read with ``.``, but as text it is nothing (a
    customer never reads ``{'first_name': …}``), and so are its ``.items``; ``.keys`` and
    ``.values`` are lists (``PlainList``)."""

    def __str__(self):
        return ""

    __repr__ = __str__

    def __format__(self, spec):
        return format("", spec)

    def items(self):
        return _PlainPairs((key, value) for key, value in super().items())

    def keys(self):
        return PlainList(super().keys())

    def values(self):
        return PlainList(super().values())


def plain(value, depth: int = 0):
    """``value`` with every list and mapping in it (at any depth) made a ``PlainList`` /
    ``PlainDict``, so that every path a template takes to text (a tag, a filter, ``str``,
    ``repr``, ``force_str``) reads words. ``None`` inside a list is an empty item; ``None``
    itself stays ``None`` (``default_if_none`` and ``is None`` see it), and becomes nothing
    wherever it is made text (``plain_value``, and filters of text: ``_bounded``)."""
    if depth > 50:
        return ""
    if isinstance(value, (PlainList, PlainDict)) and depth:
        return value
    if isinstance(value, Mapping):
        return PlainDict((key, plain(item, depth + 1)) for key, item in value.items())
    if isinstance(value, (list, tuple, AbstractSet, KeysView, ValuesView)):
        items = sorted(value, key=str) if isinstance(value, AbstractSet) and not isinstance(value, KeysView) else value
        return PlainList("" if item is None else plain(item, depth + 1) for item in items)
    return value


def plain_context(context: dict) -> dict:
    """A template context whose values are ``plain``."""
    return {key: plain(value) for key, value in context.items()}


def plain_value(value):
    """What a merge tag writes for ``value``: a list as its items joined with ", " (``mug, filters``),
    a mapping (or its ``.items``) or None as nothing: a customer never reads a Python repr
    (``['mug-1']``, ``None``, ``{'first_name': …}``, ``dict_items(…)``). Anything else as it is
    (Django writes it out)."""
    if value is None or isinstance(value, (Mapping, ItemsView, _PlainPairs)):
        return ""
    if isinstance(value, (list, tuple, AbstractSet, KeysView, ValuesView)):
        return str(plain(value, 1) if not isinstance(value, PlainList) else value)
    return value


_STRINGFILTER_CODE = defaultfilters.stringfilter(lambda value: value).__code__


def _plain_text_input(name, original, value):
    """What a filter that works on text (Django's ``stringfilter``s, ``stringformat``) is given:
    the value's words (``plain_value``), so that it never makes text of a list, mapping or None."""
    if name == "stringformat" or getattr(original, "__code__", None) is _STRINGFILTER_CODE:
        return plain_value(value)
    return value


class _PlainVariableNode(VariableNode):
    """``{{ … }}`` that writes lists, mappings and None as a reader would (``plain_value``)."""

    def render(self, context):
        try:
            output = self.filter_expression.resolve(context)
        except UnicodeDecodeError:
            return ""
        return render_value_in_context(plain_value(output), context)


class _PlainExpression:
    """A tag's value (``{% cycle %}``, ``{% firstof %}``) resolved as the words it writes."""

    def __init__(self, expression):
        self.expression = expression
        self.var = getattr(expression, "var", None)

    def resolve(self, context, ignore_failures=False):
        value = self.expression.resolve(context, ignore_failures=ignore_failures)
        return value if value is None and ignore_failures else plain_value(value)


class _BoundedParser(Parser):
    """Every node it adds renders through ``_render_bounded``: counted, timed and measured."""

    def extend_nodelist(self, nodelist, node, token):
        if type(node) is VariableNode:
            node.__class__ = _PlainVariableNode
        elif isinstance(node, defaulttags.CycleNode):
            node.cyclevars = [_PlainExpression(var) for var in node.cyclevars]
        elif isinstance(node, defaulttags.FirstOfNode):
            node.vars = [_PlainExpression(var) for var in node.vars]
        super().extend_nodelist(nodelist, node, token)
        node.render_annotated = functools.partial(_render_bounded, node, type(node).render_annotated)


class BoundedTemplate(Template):
    """A message template: parsed so that every node's render is bounded (debug is never on)."""

    def compile_nodelist(self):
        parser = _BoundedParser(Lexer(self.source).tokenize(), self.engine.template_libraries,
                                self.engine.template_builtins, self.origin)
        nodelist = parser.parse()
        self.extra_data = parser.extra_data
        return nodelist


register = Library()
register.tags.update({name: tag for name, tag in defaulttags.register.tags.items() if name in ALLOWED_TAGS})
register.tags["for"] = _bounded_for
register.filters.update({name: _bounded(name, f) for name, f in defaultfilters.register.filters.items()
                         if name not in REFUSED_FILTERS})
