"""Message texts in the Wagtail admin: subject, text and HTML per locale, with merge tags. Nothing
that does not render, holds active markup or goes over a render's bounds can be saved
(``rendering.check_template``)."""
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import MessageTemplate
from ..rendering import check_template


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


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    icon = "doc-full"
    menu_label = "Messages"
    list_display = ["key", "locale", "pack", "channel_kind", "subject"]
    list_filter = ["pack", "locale", "channel_kind"]
    edit_handler = ObjectList([FieldPanel("key"), FieldPanel("pack"), FieldPanel("channel_kind"), FieldPanel("locale"),
                               FieldPanel("subject"), FieldPanel("body"), FieldPanel("html_body")],
                              base_form_class=MessageTemplateForm)
