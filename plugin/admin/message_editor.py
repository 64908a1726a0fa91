"""The message editor: one tab per language version, the text with merge tags inserted from a list
of words, the preview for a real customer beside it updating as the owner types, and an SMS's
length and parts.

A message's versions are ``MessageTemplate`` rows sharing a ``key``, one per ``locale`` ("" is the
default, sent to every language without its own). Language, channel and pack are chosen from
lists in words; a right-to-left language's text is edited right to left. Adding a language opens
a new version with the text of the one it was added from, to translate."""
from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from wagtail.admin.panels import Panel
from wagtail.admin.ui.components import MediaContainer
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.snippets.side_panels import SnippetStatusSidePanel
from wagtail.snippets.views.snippets import CopyView, CreateView, DeleteView, EditView, HistoryView, IndexView, UsageView

from ..channels import kind_choices
from ..channels.sms import GSM_BASIC, GSM_EXTENSION
from ..models import Customer, MessageTemplate, RulePack
from .message_languages import is_rtl, language_choices, language_name, site_languages
from .message_live_preview import CUSTOMERS_LISTED, default_customer, shown_to
from .message_tags import merge_tags, text_in_words, title_in_words
from .message_usage import rules_using
from .data_widgets import DataSelect

TEXT_FIELDS = ("subject", "body", "html_body")
KIND_WORDS = {"email": gettext_lazy("Email"), "sms": gettext_lazy("SMS"),
              "webhook": gettext_lazy("The shop's webhook")}


# ── what the lists hold, in words ──────────────────────────────────────────────────────────


def channel_name(kind: str) -> str:
    if not kind:
        return _("Any channel")
    return str(KIND_WORDS.get(kind) or dict(kind_choices()).get(kind) or kind)


def channel_choices(current: str = "") -> list[tuple[str, str]]:
    kinds = dict.fromkeys(["", *(kind for kind, _label in kind_choices()), *([current] if current else [])])
    return [(kind, channel_name(kind)) for kind in kinds]


def pack_titles() -> dict[str, str]:
    return {"": _("This shop's own messages"), **dict(RulePack.objects.values_list("pack_id", "title"))}


def pack_name(pack: str) -> str:
    return pack_titles().get(pack) or pack


def pack_choices(current: str = "") -> list[tuple[str, str]]:
    titles = pack_titles()
    if current and current not in titles:
        titles[current] = current
    return list(titles.items())


def prepare_fields(form) -> None:
    """Lists for language, channel and pack; words for the labels; texts in their language's direction."""
    instance = form.instance
    locale = form.data.get(form.add_prefix("locale"), instance.locale) if form.is_bound else \
        form.initial.get("locale", instance.locale)
    fields = form.fields
    fields["key"].label = _("Name rules use")
    fields["key"].help_text = _("A rule sends this message by this name: small letters, digits and hyphens. "
                                "Every language version of the message shares it.")
    fields["locale"] = forms.ChoiceField(label=_("Language"), choices=language_choices(instance.locale),
                                         required=False, help_text=_(
                                             "Customers get the version in their language, else the one "
                                             "for every language."))
    fields["channel_kind"] = forms.ChoiceField(label=_("Channel"), choices=channel_choices(instance.channel_kind),
                                               required=False)
    fields["pack"] = forms.ChoiceField(label=_("Pack"), choices=pack_choices(instance.pack), required=False,
                                       widget=DataSelect)
    fields["subject"].label = _("Subject")
    fields["subject"].help_text = _("Emails only: what the inbox shows.")
    fields["body"].label = _("Text")
    fields["body"].help_text = _("The email's plain text, or the whole SMS.")
    fields["html_body"].label = _("HTML version")
    fields["html_body"].help_text = _("Emails only, optional: the designed version of the email.")
    direction = "rtl" if is_rtl(locale) else "auto"
    for name in TEXT_FIELDS:
        fields[name].widget.attrs.update({"dir": direction, "data-masa-text": name})
    fields["body"].widget.attrs["rows"] = 8
    fields["locale"].widget.attrs["data-masa-locale"] = ""
    fields["locale"].widget.attrs["data-rtl"] = " ".join(code for code, _name in fields["locale"].choices
                                                         if is_rtl(code))
    fields["channel_kind"].widget.attrs["data-masa-channel-kind"] = ""


# ── the editor beside its preview ──────────────────────────────────────────────────────────


class MessageEditorPanel(Panel):
    """The texts with the merge-tag list and the SMS counter, the live preview beside them."""

    def get_form_options(self):
        return {"fields": list(TEXT_FIELDS)}

    class BoundPanel(Panel.BoundPanel):
        template_name = "masa/admin/message_editor_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            instance, user = self.instance, self.request.user
            locale = self.form["locale"].value() or ""
            customer = default_customer(locale)
            recent = list(Customer.objects.order_by("-updated_at")[:CUSTOMERS_LISTED])
            if customer is not None and customer not in recent:
                recent.insert(0, customer)
            context.update(
                fields=[self.form[name] for name in TEXT_FIELDS],
                tags=merge_tags(instance.key or ""),
                customers=recent, customer=customer,
                preview_url=reverse("masa_message_live_preview"),
                customers_url=reverse("masa_message_customers"),
                test_url=reverse("masa_message_preview", args=[instance.pk])
                if instance.pk and user.has_perm("masa.change_channel") else "",
                is_sms=(self.form["channel_kind"].value() or "") == "sms",
                shown=shown_to(customer, {name: self.form[name].value() or "" for name in TEXT_FIELDS},
                               sms=(self.form["channel_kind"].value() or "") == "sms"),
                gsm_basic="".join(sorted(GSM_BASIC)), gsm_extension="".join(sorted(GSM_EXTENSION)),
            )
            return context


# ── the views ──────────────────────────────────────────────────────────────────────────────


def versions(template: MessageTemplate) -> list[dict]:
    """The message's language versions, as tabs: the default first, then by language code; a new one last."""
    rows = MessageTemplate.objects.filter(key=template.key).order_by("locale") if template.key else []
    tabs = [{"name": language_name(row.locale), "url": reverse("wagtailsnippets_masa_messagetemplate:edit",
                                                               args=[row.pk]),
             "current": row.pk == template.pk} for row in rows]
    if template.pk is None:
        tabs.append({"name": language_name(template.locale), "url": "", "current": True})
    return tabs


MESSAGES = gettext_lazy("Messages")


class MessagesCrumbs:
    """Breadcrumbs saying "Messages", not the model's name ("Message templates"), and the
    message's own words set apart as data (``<bdi>``)."""

    def get_breadcrumbs_items(self):
        plural = MessageTemplate._meta.verbose_name_plural
        instance = getattr(self, "object", None)
        own = {self.get_page_subtitle(), *([str(instance)] if instance is not None and instance.pk else [])} - {""}
        isolated = format_html("<bdi>{}</bdi>", title_in_words(instance)) if instance is not None and instance.pk \
            else None
        items = []
        for item in super().get_breadcrumbs_items():
            if str(item.get("label", "")).lower() == plural:
                item = {**item, "label": MESSAGES}
            elif item.get("label") in own:
                item = {**item, "label": isolated or format_html("<bdi>{}</bdi>", item["label"])}
            if item.get("sublabel") in own:
                item = {**item, "sublabel": isolated or format_html("<bdi>{}</bdi>", item["sublabel"])}
            items.append(item)
        return items


class IsolatedHeader:
    """The page's title with the message's words set apart (its template puts the plain text in
    ``<title>``: ``header_title|striptags``)."""

    def get_header_title(self):
        subtitle = self.get_page_subtitle()
        if not subtitle:
            return self.get_page_title()
        return format_html("{}: <bdi>{}</bdi>", self.get_page_title(), subtitle)


class MessageIndexView(MessagesCrumbs, IndexView):
    page_title = MESSAGES
    add_item_label = gettext_lazy("Add a message")


class MessageHistoryView(IsolatedHeader, MessagesCrumbs, HistoryView):
    def get_page_subtitle(self):
        return title_in_words(self.object)


class MessageViewMixin(IsolatedHeader, MessagesCrumbs):
    """What the editor's page adds around Wagtail's form: the tabs, the header in words, its script."""

    def get_page_subtitle(self):
        instance = getattr(self, "object", None) or self.form.instance
        return title_in_words(instance) or _("New message")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = self.form.instance if getattr(self, "form", None) is not None else self.object
        have = {row.locale for row in MessageTemplate.objects.filter(key=instance.key)} if instance.key else set()
        context.update(
            versions=versions(instance),
            add_languages=[(code, language_name(code)) for code in ["", *site_languages()] if code not in have]
            if instance.pk else [],
            add_url=reverse("wagtailsnippets_masa_messagetemplate:add"),
            source=instance,
            header=text_in_words(instance) if instance.pk else "",
        )
        return context


class MessageCreateView(MessageViewMixin, CreateView):
    """A new message, or a new language version of one (``?from=<pk>&locale=he``: its text copied
    to translate, its name, channel and pack kept)."""

    def get_initial_form_instance(self):
        source_pk = self.request.GET.get("from", "")
        source = MessageTemplate.objects.filter(pk=source_pk).first() if source_pk.isdigit() else None
        if source is None or self.request.method != "GET":
            return super().get_initial_form_instance()
        locale = self.request.GET.get("locale", "")[:16]
        return MessageTemplate(key=source.key, pack=source.pack, channel_kind=source.channel_kind, locale=locale,
                               subject=source.subject, body=source.body, html_body=source.html_body)

    def get_page_subtitle(self):
        instance = self.form.instance
        if instance.key:
            return _("Version in %(language)s") % {"language": language_name(instance.locale)}
        return _("Message")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["header"] = self.get_page_subtitle() if self.form.instance.key else _("New message")
        return context


class MessageCopyView(MessageViewMixin, CopyView):
    def get_page_subtitle(self):
        return _("Message")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "header": _("New message")}


class MessageStatusSidePanel(SnippetStatusSidePanel):
    """The status panel saying how many rules send the message (Wagtail's count could not see them)."""

    def get_usage_context(self):
        count = len(rules_using(self.object.key)) if self.object.pk else 0
        return {"usage_count": count, "usage_url": self.usage_url,
                "usage_url_text": ngettext("Used by %(count)d rule", "Used by %(count)d rules", count)
                % {"count": count} if count else _("No rule sends it")}


class MessageEditView(MessageViewMixin, EditView):
    def get_side_panels(self):
        panels = super().get_side_panels()
        return MediaContainer([
            MessageStatusSidePanel(self.object, self.request, live_object=self.live_object,
                                   usage_url=self.get_usage_url(), history_url=self.get_history_url(),
                                   last_updated_info=self.get_last_updated_info())
            if isinstance(panel, SnippetStatusSidePanel) else panel for panel in panels])


class MessageDeleteView(IsolatedHeader, MessagesCrumbs, DeleteView):
    """Deleting a version says what it does to the rules sending the message (Wagtail's count could not see them)."""

    def get_page_subtitle(self):
        return title_in_words(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        others = MessageTemplate.objects.filter(key=self.object.key).exclude(pk=self.object.pk)
        context.update(other_versions=others.exists(), rules_sending=rules_using(self.object.key),
                       usage_url="")
        return context


class RuleSwitchColumn(Column):
    def get_value(self, instance):
        return _("On") if instance.enabled else _("Off")


class MessageUsageView(IsolatedHeader, MessagesCrumbs, UsageView):
    """The rules that send this message (by its name, in any of their steps)."""

    def get_page_subtitle(self):
        return title_in_words(self.object)

    def get_queryset(self):
        return rules_using(self.object.key)

    def get_table(self, object_list, **kwargs):
        return BaseListingView.get_table(self, object_list, **kwargs)

    @property
    def columns(self):
        return [TitleColumn("title", label=_("Rule"), url_name="wagtailsnippets_masa_rule:edit",
                            accessor=lambda rule: format_html("<bdi>{}</bdi>", rule.title)),
                RuleSwitchColumn("enabled", label=_("On/off"))]
