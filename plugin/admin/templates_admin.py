"""Message texts in the Wagtail admin: subject, text and HTML per locale, with merge tags."""
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import MessageTemplate


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    icon = "doc-full"
    menu_label = "Messages"
    list_display = ["key", "locale", "pack", "channel_kind", "subject"]
    list_filter = ["pack", "locale", "channel_kind"]
    panels = [FieldPanel("key"), FieldPanel("pack"), FieldPanel("channel_kind"), FieldPanel("locale"),
              FieldPanel("subject"), FieldPanel("body"), FieldPanel("html_body")]
