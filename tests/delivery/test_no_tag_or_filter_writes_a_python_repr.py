"""Issue 31, item 7 (review): whatever tag or filter turns a merge value into text — ``{{ }}``,
``{% firstof %}``, ``{% cycle %}``, ``|escape``, ``|force_escape``, ``|stringformat``,
``|striptags``, ``|urlize``, ``.items`` … — a customer reads words ("Mug, Filters"), never a
Python repr (``['mug-1']``, ``{'a': 1}``, ``None``, ``dict_items(…)``); HTML parts still escape."""
import datetime
from decimal import Decimal

import pytest

from masa.rendering import render_text
from masa.template_sandbox import ALLOWED_TAGS, REFUSED_FILTERS, PlainDict, PlainList, plain
from django.template import defaultfilters

CONTEXT = {"order": {
    "products": ["Mug <b>", "Filters & co"], "total": Decimal("12.50"), "day": datetime.date(2026, 3, 1),
    "none": None, "fields": {"a": 1}, "nested": [["a", "b"], {"x": 1}, None, ""], "pair": ("x", "y"),
    "lists": [("a", "b"), {"c", None}, {"d": 1}],
    "set": {"b", "a"}}}
REPR_MARKS = ("[", "]", "{", "}", "None", "dict_", "(", "&#x27;", "'")


def words(source, as_html):
    return render_text(source, CONTEXT, as_html=as_html)


@pytest.mark.parametrize("as_html", [False, True])
@pytest.mark.parametrize("source, text", [
    ("{% firstof order.none order.products %}", "Mug <b>, Filters & co"),
    ("{% firstof order.none order.fields 'none' %}", "none"),
    ("{% cycle order.products 'b' %}", "Mug <b>, Filters & co"),
    ("{% for i in '12' %}{% cycle order.none order.nested %}|{% endfor %}", "|a, b|"),
    ("{% cycle order.set order.fields as c %}", "a, b"),
    ("{{ order.nested|escape }}", "a, b"),
    ("{{ order.set|force_escape }}", "a, b"),
    ("{{ order.none|escape }}{{ order.fields|force_escape }}", ""),
    ("{{ order.products|stringformat:'r' }}", "Mug <b>, Filters & co"),
    ("{{ order.products|stringformat:'s' }}", "Mug <b>, Filters & co"),
    ("{{ order.fields|stringformat:'s' }}{{ order.none|stringformat:'s' }}", ""),
    ("{{ order.total|stringformat:'.1f' }}", "12.5"),
    ("{{ order.nested|striptags }}", "a, b"),
    ("{{ order.set|urlize }}", "a, b"),
    ("{{ order.none|urlize }}{{ order.none|upper }}", ""),
    ("{{ order.fields.items }}", ""),
    ("{% for k, v in order.fields.items %}{{ k }}={{ v }}{% endfor %}", "a=1"),
    ("{{ order.fields.keys }} / {{ order.fields.values }}", "a / 1"),
    ("{{ order.pair }} {{ order.pair|escape }}", "x, y x, y"),
    ("{{ order.none|default_if_none:'nothing' }}", "nothing"),
    ("{% if order.none is None %}none{% endif %}", "none"),
    ("{{ order.products|length }} {{ order.products.0 }}", "2 Mug <b>"),
])
def test_every_tag_and_filter_writes_words(source, text, as_html):
    out = words(source, as_html)
    if as_html:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert out == text


@pytest.mark.parametrize("name", sorted(set(defaultfilters.register.filters) - REFUSED_FILTERS
                                        - {"json_script", "pluralize", "make_list"}))
@pytest.mark.parametrize("value", ["order.products", "order.fields", "order.none", "order.nested", "order.set"])
def test_no_filter_turns_a_list_mapping_or_none_into_a_repr(name, value):
    argument = {"date": ":'Y'", "time": ":'H'", "cut": ":'x'", "add": ":'x'", "get_digit": ":1",
                "dictsort": ":'a'", "dictsortreversed": ":'a'", "divisibleby": ":2", "slice": ":':1'",
                "truncatechars": ":50", "truncatewords": ":50", "truncatechars_html": ":50",
                "truncatewords_html": ":50", "wordwrap": ":50", "urlizetrunc": ":50", "stringformat": ":'r'",
                "ljust": ":5", "rjust": ":5", "center": ":5", "join": ":', '", "default": ":''",
                "default_if_none": ":''", "phone2numeric": "", "yesno": ""}.get(name, "")
    for as_html in (False, True):
        try:
            out = words("{{ %s|%s%s }}" % (value, name, argument), as_html)
        except (TypeError, AttributeError, KeyError, ValueError):
            continue  # a filter that cannot take this value fails the render (as in Django): no text
        assert not any(mark in out for mark in REPR_MARKS), (name, value, out)


def test_merge_values_stay_lists_and_mappings():
    value = plain({"products": ["a", "b"], "fields": {"x": [1, None]}, "none": None})
    assert isinstance(value, PlainDict) and isinstance(value["products"], PlainList)
    assert value["products"] == ["a", "b"] and value["fields"]["x"] == [1, ""] and value["none"] is None
    assert str(value) == repr(value) == "" and str(value["products"]) == repr(value["products"]) == "a, b"
    assert "for" in ALLOWED_TAGS and "cycle" in ALLOWED_TAGS and "firstof" in ALLOWED_TAGS
