"""Template filters of the journey pages: numbers and rates in the page's language, the statistics
behind a comparison (``admin.journey_words``)."""
from django import template

from ..admin import journey_words

register = template.Library()


@register.filter
def masa_count(value) -> str:
    return journey_words.count(value)


@register.filter
def masa_interval(row) -> str:
    return journey_words.interval(row)
