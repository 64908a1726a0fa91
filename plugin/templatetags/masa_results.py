"""Template tags of the Results page and the home panel: money kept left-to-right in Hebrew."""
from django import template

from ..admin import result_words

register = template.Library()


@register.simple_tag
def bdi_money(amount, currency=""):
    """``{% bdi_money group.revenue currency %}``: ``<bdi dir="ltr">₪1,234.50</bdi>``."""
    return result_words.money(amount, currency)


@register.simple_tag
def bdi_amounts(total, currency=""):
    """``{% bdi_amounts row.revenue row.currency %}``: each currency's total, set apart."""
    return result_words.amounts(total, currency)


@register.filter
def rate(value: float) -> str:
    """0.123 → "12 %"."""
    return result_words.percent(value)


@register.filter
def version(name: str) -> str:
    """An A/B split's branch as the owner reads it: ``a`` → "A"."""
    return result_words.version_name(name)


@register.simple_tag
def split_words(split) -> dict:
    """``{% split_words split as says %}``: what an A/B split says so far (``result_words.split_says``)."""
    return result_words.split_says(split)


@register.simple_tag
def split_versions(split) -> list[dict]:
    """``{% split_versions split as versions %}``: each branch with the name shown and its group."""
    return [{"name": name, "shown": result_words.version_name(name), "group": group} for name, group in split.branches]
