"""Template tags of Masa's admin pages."""
from django import template

from ..admin import message_languages
from ..admin.message_content import message_content
from ..money import format_money

register = template.Library()


@register.simple_tag
def masa_message(subject="", body="", html_body="", limit=None):
    """``{% masa_message obj.subject obj.body obj.html_body %}``: see admin.message_content."""
    return message_content(subject, body, html_body, limit=limit)


@register.filter
def change(result, metric: str) -> str:
    """A Result's change in ``metric`` against the previous period: "+3", "−2", "±0"."""
    return result.change(metric)


@register.simple_tag
def money(amount, currency=""):
    """``{% money customer.total_spent customer.currency %}``: "₪1,234.50"."""
    return format_money(amount, currency)


@register.filter
def percent(rate: float) -> str:
    """0.123 → "12.3 %"."""
    return f"{100 * rate:.1f} %"


@register.filter
def points(difference: float) -> str:
    """A difference of two rates in percentage points: 0.052 → "+5.2 pts"."""
    return f"{100 * difference:+.1f} pts"



@register.filter
def language_name(code: str) -> str:
    """A language code ("he", "en-us") as its name in the admin's language ("Hebrew", "עברית")."""
    return message_languages.language_name(code)
