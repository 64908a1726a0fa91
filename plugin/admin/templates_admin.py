"""Messages in the Wagtail admin: the list in words, and the editor (``message_editor``).

A message's versions per language and channel kind are rows sharing a ``key``; the list shows each
with its text in words (merge tags as "first name", never ``{{ … }}``), its language, its channel
versions ("Email, SMS, WhatsApp") and pack by name and how many rules send it. Nothing that does not render, holds active markup or goes over a
render's bounds can be saved (``rendering.check_template``)."""
from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from .. import message_versions
from ..models import MessageTemplate
from ..rendering import check_template
from .base import MasaChooserViewSet
from .message_editor import (MessageCopyView, MessageCreateView, MessageDeleteView, MessageEditorPanel, MessageEditView,
                             MessageHistoryView, MessageIndexView, MessageUsageView, channel_choices, channel_name,
                             clean_approved, pack_choices, pack_name, prepare_fields, version_name)
from .message_languages import language_choices, language_name
from .message_tags import text_in_words
from .message_usage import usage_counts
from .rules import once_per_page


class MessageTemplateForm(WagtailAdminModelForm):
    """The message's fields: lists for what has a list (language, channel, pack), its texts
    right-to-left in a right-to-left language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_fields(self)

    def clean(self):
        cleaned = super().clean()
        candidate = MessageTemplate(**{name: cleaned.get(name, "") for name in ("subject", "body", "html_body")})
        try:
            check_template(candidate)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
        clean_approved(self, cleaned)
        return cleaned


class MessageColumn(TitleColumn):
    """The message by its text (merge tags as words), linking to its editor."""

    def __init__(self):
        super().__init__("subject", label=gettext_lazy("Message"), sort_key="subject", classname="masa-col-message",
                         url_name="wagtailsnippets_masa_messagetemplate:edit", accessor=text_in_words)


class WordsColumn(Column):
    """A value shown as the words ``say(value)`` gives (a language, a channel, a pack)."""

    def __init__(self, name, say, **kwargs):
        super().__init__(name, **kwargs)
        self.say = say

    def get_value(self, instance):
        return self.say(getattr(instance, self.name))


def pack_in_words(pack: str):
    """The pack's title (the shop's data, set apart), or "This shop's own messages"."""
    return format_html("<bdi>{}</bdi>", pack_name(pack)) if pack else pack_name(pack)


class UsedByColumn(Column):
    """How many rules send this message (its key), linking to the list of them."""

    def get_value(self, instance):
        return ""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        count = once_per_page(parent_context, "_masa_message_usage", usage_counts).get(instance.key, 0)
        said = ngettext("Used by %(count)d rule", "Used by %(count)d rules", count) % {"count": count} if count \
            else _("No rule sends it")
        context["value"] = format_html('<a href="{}">{}</a>', reverse("wagtailsnippets_masa_messagetemplate:usage",
                                                                        args=[instance.pk]), said) if count else said
        return context


def message_kinds() -> dict[str, list[str]]:
    """Message key → its kinds, the main text's first (``message_versions``)."""
    by_key: dict[str, list] = {}
    for row in MessageTemplate.objects.only("pk", "key", "channel_kind").order_by("pk"):
        by_key.setdefault(row.key, []).append(row)
    kinds = {}
    for key, rows in by_key.items():
        main = message_versions.main_kind(rows)
        others = sorted({row.channel_kind for row in rows} - {main},
                        key=lambda kind: (message_versions.KINDS.index(kind) if kind in message_versions.KINDS
                                          else len(message_versions.KINDS), kind))
        kinds[key] = [main, *others]
    return kinds


class ChannelVersionsColumn(Column):
    """The channel in words: for a message's main text, every version it has ("Email, SMS,
    WhatsApp"); for a version, which one ("SMS version")."""

    def get_value(self, instance):
        return ""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        kinds = once_per_page(parent_context, "_masa_message_kinds", message_kinds).get(instance.key) or [""]
        context["value"] = ", ".join(channel_name(kind) for kind in kinds) if instance.channel_kind == kinds[0] \
            else version_name(instance.channel_kind, kinds[0])
        return context


class PreviewColumn(Column):
    def get_value(self, instance):
        return format_html('<a href="{}">{}</a>', reverse("masa_message_preview", args=[instance.pk]),
                           _("Preview for a customer"))


def _listed(choices):
    """A filter's choices: a filter by "" would filter nothing, so the default's choice is left out."""
    return lambda: [(value, label) for value, label in choices() if value]


class MessageFilterSet(WagtailFilterSet):
    pack = django_filters.ChoiceFilter(choices=_listed(pack_choices), label=gettext_lazy("Pack"))
    locale = django_filters.ChoiceFilter(choices=_listed(language_choices), label=gettext_lazy("Language"))
    channel_kind = django_filters.ChoiceFilter(choices=_listed(channel_choices), label=gettext_lazy("Channel"))

    class Meta:
        model = MessageTemplate
        fields = ["pack", "locale", "channel_kind"]


class MessageEditHandler(ObjectList):
    """The message form's panels; the approved template's name and language are rendered by
    MessageEditorPanel only (Wagtail would repeat them, unlabelled, below the form: a second input
    of the same name that wins when posted)."""

    class BoundPanel(ObjectList.BoundPanel):
        def render_missing_fields(self):
            shown = set(self.panel.get_form_options().get("fields", [])) | {"template_name", "template_language"}
            return mark_safe("".join(str(self.form[name]) for name in self.form.fields  # noqa: S308
                                     if name not in shown))


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    chooser_viewset_class = MasaChooserViewSet
    icon = "doc-full"
    menu_label = gettext_lazy("Messages")
    index_view_class = MessageIndexView
    add_view_class = MessageCreateView
    copy_view_class = MessageCopyView
    history_view_class = MessageHistoryView
    edit_view_class = MessageEditView
    usage_view_class = MessageUsageView
    delete_view_class = MessageDeleteView
    delete_template_name = "masa/admin/message_delete.html"
    history_template_name = "masa/admin/message_history.html"
    create_template_name = "masa/admin/message_create.html"
    edit_template_name = "masa/admin/message_edit.html"
    filterset_class = MessageFilterSet
    list_display = [MessageColumn(),
                    WordsColumn("locale", language_name, label=gettext_lazy("Language"), classname="masa-col-about"),
                    ChannelVersionsColumn("channel_kind", label=gettext_lazy("Channel"), classname="masa-col-about"),
                    WordsColumn("pack", pack_in_words, label=gettext_lazy("Pack"), classname="masa-col-about"),
                    UsedByColumn("used_by", label=gettext_lazy("Used by"), classname="masa-col-used"),
                    PreviewColumn("preview", label=gettext_lazy("Preview"), classname="masa-col-used")]
    def get_usage_view_kwargs(self, **kwargs):
        return {**super().get_usage_view_kwargs(**kwargs), "template_name": "masa/admin/message_usage.html"}

    edit_handler = MessageEditHandler([
        MessageEditorPanel(heading=gettext_lazy("Text")),
        MultiFieldPanel([FieldPanel("key"), FieldPanel("locale"), FieldPanel("channel_kind"), FieldPanel("pack")],
                        heading=gettext_lazy("About this message")),
    ], base_form_class=MessageTemplateForm)
