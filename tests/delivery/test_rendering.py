"""Merge tags render from plain data only; missing values never print 'None'."""
import pytest

from masa.models import Customer, MessageTemplate
from masa.rendering import TemplateMissing, find_template, merge_context, render

pytestmark = pytest.mark.django_db


def test_merge_tags_render_and_missing_names_fall_back():
    customer = Customer.objects.create(email="x@example.com")
    template = MessageTemplate.objects.create(key="t", subject="Hi {{ customer.first_name }}",
                                              body="{{ customer.nothing }}|{{ order.number }}|{{ customer.email }}")
    rendered = render(template, merge_context(customer, None))
    assert rendered.subject == "Hi there"
    assert rendered.body == "||x@example.com"


def test_templates_cannot_reach_model_methods():
    customer = Customer.objects.create(email="x@example.com", first_name="Ada")
    template = MessageTemplate.objects.create(key="t", body="{{ customer.delete }}{{ customer.save }}")
    assert render(template, merge_context(customer, None)).body == ""
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_customer_locale_picks_its_variant_and_falls_back_to_the_default():
    MessageTemplate.objects.create(key="t", body="default")
    MessageTemplate.objects.create(key="t", locale="he", body="עברית")
    assert find_template("t", "he").body == "עברית"
    assert find_template("t", "fr").body == "default"
    with pytest.raises(TemplateMissing):
        find_template("missing")
