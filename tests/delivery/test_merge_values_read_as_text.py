"""Issue 31, item 7: what a merge tag writes is text a customer reads: a nameless customer is
greeted in the template's language, and lists, mappings and None never show as Python reprs."""
import pytest

from masa.models import Customer, MessageTemplate, StoreEvent
from masa.rendering import merge_context, render, render_text

pytestmark = pytest.mark.django_db


def context(**customer):
    event = StoreEvent(name="order_placed", data={"number": "7", "lines": [
        {"product_id": "mug-1", "product_name": "Mug"}, {"product_id": "f-2", "product_name": "Filters & more"}]})
    return merge_context(Customer(email="c@example.com", **customer), event)


@pytest.mark.parametrize("body, read", [
    ("שלום {{ customer.first_name }},\nתודה!", "שלום,\nתודה!"),
    ("חושבים עליך, {{ customer.first_name }}", "חושבים עליך"),
    ("תודה, {{ customer.first_name }}!", "תודה!"),
    ("היי {{ customer.first_name|default:'חבר/ה' }}", "היי חבר/ה"),
    ("{% if customer.first_name %}שלום {{ customer.first_name }}{% else %}שלום רב{% endif %}", "שלום רב"),
])
def test_a_hebrew_template_greets_a_nameless_customer_in_hebrew(body, read):
    template = MessageTemplate(key="t", locale="he", subject="", body=body)
    rendered = render(template, context())
    assert rendered.body == read and "there" not in rendered.body


def test_an_english_template_still_says_there_and_a_name_is_a_name():
    assert render(MessageTemplate(key="t", body="Hi {{ customer.first_name }},"), context()).body == "Hi there,"
    he = MessageTemplate(key="t", locale="he", body="שלום {{ customer.first_name }},")
    assert render(he, context(first_name="Ruth")).body == "שלום Ruth,"


def test_a_list_renders_joined_by_names_and_never_as_a_repr():
    ctx = context(first_name="Ruth")
    assert render_text("{{ order.products }}", ctx, as_html=False) == "Mug, Filters & more"
    assert render_text("{{ order.products }}", ctx, as_html=True) == "Mug, Filters &amp; more"
    assert render_text("{{ order.products|slice:':1' }}", ctx, as_html=False) == "Mug"


@pytest.mark.parametrize("source", ["{{ customer }}", "{{ order }}", "{{ facts.missing }}", "{{ nothing }}"])
def test_a_mapping_or_nothing_writes_nothing(source):
    ctx = {**context(first_name="Ruth"), "nothing": None}
    assert render_text(source, ctx, as_html=False) == ""
