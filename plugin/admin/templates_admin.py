"""Message texts in the Wagtail admin: subject, text and HTML per locale, with merge tags. Nothing
that does not render, holds active markup or goes over a render's bounds can be saved
(``rendering.check_template``)."""
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminModelForm
from django.urls import reverse
from django.utils.html import format_html
from wagtail.admin.panels import FieldPanel, HelpPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import MessageTemplate
from ..rendering import check_template
from .base import MasaChooserViewSet


class MessageTemplateForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        candidate = MessageTemplate(**{name: cleaned.get(name, "") for name in ("subject", "body", "html_body")})
        try:
            check_template(candidate)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
        return cleaned


class PreviewColumn(Column):
    def get_value(self, instance):
        return format_html('<a href="{}">Preview for a customer</a>', reverse("masa_message_preview", args=[instance.pk]))


class PreviewPanel(HelpPanel):
    """On the edit page: a link to the preview for a real customer (once the text is saved)."""

    class BoundPanel(HelpPanel.BoundPanel):
        def render_html(self, parent_context=None):
            if not self.instance.pk:
                return ""
            return format_html('<p><a href="{}">Preview for a real customer and send a test to yourself</a></p>',
                               reverse("masa_message_preview", args=[self.instance.pk]))


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    chooser_viewset_class = MasaChooserViewSet
    icon = "doc-full"
    menu_label = "Messages"
    list_display = ["key", "locale", "pack", "channel_kind", "subject", PreviewColumn("preview", label="Preview")]
    list_filter = ["pack", "locale", "channel_kind"]
    edit_handler = ObjectList([PreviewPanel(), FieldPanel("key"), FieldPanel("pack"), FieldPanel("channel_kind"), FieldPanel("locale"),
                               FieldPanel("subject"), FieldPanel("body"), FieldPanel("html_body")],
                              base_form_class=MessageTemplateForm)
