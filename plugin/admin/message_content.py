"""The one way the admin shows a message's content: text escaped, HTML in a sandboxed frame.

Rendered and stored message content is the shop's and its customers' text, never the admin's
markup: it is never put on the admin's origin as live HTML. Subject and text parts are escaped;
the HTML part goes into ``<iframe sandbox srcdoc=…>`` without ``allow-scripts`` or
``allow-same-origin``, so even markup that slipped past the template checks cannot run script
or read the admin's cookies.
"""
from __future__ import annotations

from django.template.defaultfilters import truncatechars
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _


def message_content(subject: str = "", body: str = "", html_body: str = "", *, limit: int | None = None):
    """Safe HTML showing a message; ``limit`` shortens the text part (lists), the frame stays whole."""
    text = str.__str__(body or "")
    parts = []
    if subject:
        parts.append(format_html('<p class="masa-subject"><strong><bdi>{}</bdi></strong></p>', str.__str__(subject)))
    if text:
        parts.append(format_html('<pre class="masa-content" dir="auto">{}</pre>', truncatechars(text, limit) if limit else text))
    if html_body:
        parts.append(format_html(
            '<iframe class="masa-html-preview" sandbox="" referrerpolicy="no-referrer" loading="lazy" '
            'title="{}" srcdoc="{}"></iframe>', _("HTML version"), str.__str__(html_body)))
    return format_html_join("", "{}", ((part,) for part in parts))
