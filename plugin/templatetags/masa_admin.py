"""Template tags of Masa's admin pages."""
from django import template

from ..admin.message_content import message_content

register = template.Library()


@register.simple_tag
def masa_message(subject="", body="", html_body="", limit=None):
    """``{% masa_message obj.subject obj.body obj.html_body %}``: see admin.message_content."""
    return message_content(subject, body, html_body, limit=limit)
