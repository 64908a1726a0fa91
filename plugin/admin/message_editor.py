"""The message editor: one tab per channel version ("Email", "SMS version", "WhatsApp version") and,
within it, per language; the text with merge tags inserted from a list of words, the preview for a
real customer beside it updating as the owner types, an SMS's length and parts, and a WhatsApp
version's approved template (its name, language and the merge tag filling each variable).

A message's versions are ``MessageTemplate`` rows sharing a ``key``, one per (``locale``,
``channel_kind``): "" locale is the default, sent to every language without its own; which kind is
the main text and which are versions is ``message_versions``'. Language, channel and pack are
chosen from lists in words; a right-to-left language's text is edited right to left. Adding a
language or a channel version opens a new one with the text it was added from."""
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

from .. import approved_templates, message_versions
from ..channels import kind_choices
from ..channels.sms import GSM_BASIC, GSM_EXTENSION
from ..models import Customer, MessageTemplate, RulePack
from .message_languages import is_rtl, language_choices, language_name, site_languages
from .message_live_preview import CUSTOMERS_LISTED, default_customer, shown_to
from .message_tags import merge_tags, text_in_words, title_in_words
from ..rendering import template_problems
from .message_usage import rules_using
from .data_widgets import DataSelect
from ..bidi import isolate

TEXT_FIELDS = ("subject", "body", "html_body")
KIND_WORDS = {"email": gettext_lazy("Email"), "sms": gettext_lazy("SMS"), "whatsapp": gettext_lazy("WhatsApp"),
              "webhook": gettext_lazy("The shop's webhook")}
VERSION_WORDS = {"email": gettext_lazy("Email version"), "sms": gettext_lazy("SMS version"),
                 "whatsapp": gettext_lazy("WhatsApp version"), "webhook": gettext_lazy("The shop's webhook version")}
ADD_VERSION_WORDS = {"email": gettext_lazy("Add an email version"), "sms": gettext_lazy("Add an SMS version"),
                     "whatsapp": gettext_lazy("Add a WhatsApp version")}
MIN_VARIABLE_ROWS = 3


# ── what the lists hold, in words ──────────────────────────────────────────────────────────


def channel_name(kind: str) -> str:
    if not kind:
        return _("Any channel")
    return str(KIND_WORDS.get(kind) or dict(kind_choices()).get(kind) or kind)


def version_name(kind: str, main: str | None) -> str:
    """A channel version's name on its tab: the main text by its channel ("Email"), else "SMS version"."""
    if kind == main:
        return channel_name(kind)
    return str(VERSION_WORDS.get(kind) or _("%(channel)s version") % {"channel": channel_name(kind)})


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
    fields["body"].help_text = _("The email's plain text, or the whole SMS or WhatsApp message.")
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
    approved = instance.provider_template or {}
    fields["template_name"] = forms.CharField(
        label=_("Approved WhatsApp template (name as in your WhatsApp Manager)"), required=False, max_length=512,
        initial=approved.get("name", ""), help_text=_(
            "Outside the 24 hours after a customer last wrote, WhatsApp takes only a template it approved. "
            "Leave empty to send this text only inside those 24 hours."))
    fields["template_language"] = forms.ChoiceField(
        label=_("Its language in WhatsApp Manager"), required=False, initial=approved.get("language", ""),
        choices=[("", _("The language of this version")),
                 *sorted(((code, whatsapp_language(code)) for code in approved_templates.LANGUAGES),
                         key=lambda choice: choice[1])])
    fields["template_name"].widget.attrs.update({"dir": "ltr", "autocomplete": "off", "spellcheck": "false"})


def whatsapp_language(code: str) -> str:
    """A WhatsApp Manager language code as the owner reads it there: "Hebrew (he)", "English (US) (en_US)"."""
    name = language_name(code.replace("_", "-").lower())
    return code if name == code.replace("_", "-").lower() else "%s (%s)" % (name, code)


def variable_rows(form, key: str) -> list[dict]:
    """The approved template's variables as rows, each a merge tag chosen from the message's list:
    the ones it has (or was posted with), then empty rows to add more."""
    if form.is_bound:
        chosen = [str(v)[:500] for v in form.data.getlist("template_variables")][:approved_templates.MAX_VARIABLES]
    else:
        chosen = list((form.instance.provider_template or {}).get("variables") or [])
    while chosen and not chosen[-1]:
        chosen.pop()
    tags = merge_tags(key)
    known = {tag.tag for tag in tags}
    rows = []
    for number, value in enumerate(chosen + [""] * max(1, MIN_VARIABLE_ROWS - len(chosen)), start=1):
        rows.append({"number": number, "value": value, "other": value if value and value not in known else ""})
    return rows[:approved_templates.MAX_VARIABLES]


def clean_approved(form, cleaned: dict) -> None:
    """The approved template's fields as ``provider_template``, checked (``approved_templates.problems``);
    only a WhatsApp text names one. Problems go on the fields, in words; nothing typed is lost."""
    name = (cleaned.get("template_name") or "").strip()
    variables = [str(v).strip() for v in form.data.getlist("template_variables")][:approved_templates.MAX_VARIABLES]
    while variables and not variables[-1]:
        variables.pop()
    if not name:
        if any(variables):
            form.add_error("template_name", _("Give the approved template's name, or leave its variables empty."))
        form.instance.provider_template = {}
        return
    if cleaned.get("channel_kind") != "whatsapp":
        form.add_error("template_name", _("Only a WhatsApp text is sent as an approved template: choose WhatsApp "
                                          "as its channel, or leave this empty."))
        return
    spec = {"name": name, "language": cleaned.get("template_language") or "", "variables": variables}
    for problem in approved_templates.problems(spec, cleaned.get("locale") or "", template_problems):
        where, _sep, words = problem.partition(": ")
        form.add_error("template_language" if where == "language" else "template_name",
                       _("Variable {{%(number)s}}: %(problem)s") % {"number": where[10:-1], "problem": words}
                       if where.startswith("variables[") else approved_words(where, spec))
    form.instance.provider_template = spec


def approved_words(where: str, spec: dict) -> str:
    """An approved template's problem in the owner's words."""
    if where == "name":
        return _("Write the name exactly as in WhatsApp Manager: small letters, digits and underscores "
                 "(for example win_back_offer).")
    if spec.get("language"):
        return _("WhatsApp has no template language %(code)s.") % {"code": spec["language"]}
    return _("This version's language does not say which WhatsApp language the template is in: choose it.")


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
            kind = self.form["channel_kind"].value() or ""
            context.update(
                is_whatsapp=kind == "whatsapp",
                approved_fields=[self.form["template_name"], self.form["template_language"]],
                variables=variable_rows(self.form, instance.key or ""),
                fields=[self.form[name] for name in TEXT_FIELDS],
                tags=merge_tags(instance.key or ""),
                customers=recent, customer=customer,
                preview_url=reverse("masa_message_live_preview"),
                customers_url=reverse("masa_message_customers"),
                test_url=reverse("masa_message_preview", args=[instance.pk])
                if instance.pk and user.has_perm("masa.change_channel") else "",
                is_sms=(self.form["channel_kind"].value() or "") == "sms",
                shown=shown_to(customer, {name: self.form[name].value() or "" for name in TEXT_FIELDS},
                               sms=(self.form["channel_kind"].value() or "") == "sms",
                               approved=approved_posted(self.form) if kind == "whatsapp" else None,
                               locale=self.form["locale"].value() or ""),
                gsm_basic="".join(sorted(GSM_BASIC)), gsm_extension="".join(sorted(GSM_EXTENSION)),
            )
            return context


# ── the views ──────────────────────────────────────────────────────────────────────────────


def approved_posted(form) -> dict:
    """The approved template as the form holds it now (typed, not yet saved), for the preview."""
    if not form.is_bound:
        return form.instance.provider_template or {}
    return {"name": str(form.data.get(form.add_prefix("template_name"), ""))[:512],
            "language": str(form.data.get(form.add_prefix("template_language"), ""))[:16],
            "variables": [str(v)[:500] for v in form.data.getlist("template_variables") if v]}


def channel_tabs(template: MessageTemplate) -> list[dict]:
    """The message's channel versions, as tabs: the main text first ("Email"), then "SMS version",
    "WhatsApp version"; each opens that version in this language if it has it, else its default."""
    rows = list(MessageTemplate.objects.filter(key=template.key).order_by("pk")) if template.key else []
    main = message_versions.main_kind(rows)
    kinds = message_versions.kinds_of(template.key) if rows else []
    if template.pk is None and template.channel_kind not in kinds:
        kinds.append(template.channel_kind)
    tabs = []
    for kind in kinds:
        same = [row for row in rows if row.channel_kind == kind]
        row = next((r for r in same if r.locale == template.locale), None) or next(
            (r for r in same if not r.locale), None) or (same[0] if same else None)
        tabs.append({"name": version_name(kind, main if main is not None else kind),
                     "url": reverse("wagtailsnippets_masa_messagetemplate:edit", args=[row.pk]) if row else "",
                     "current": kind == template.channel_kind})
    return tabs


def versions_to_add(template: MessageTemplate) -> list[tuple[str, str]]:
    """The channel versions a saved message can still get: (kind, "Add an SMS version")."""
    if template.pk is None:
        return []
    have = set(message_versions.kinds_of(template.key))
    return [(kind, str(words)) for kind, words in ADD_VERSION_WORDS.items() if kind not in have]


def versions(template: MessageTemplate) -> list[dict]:
    """The language versions of this channel version, as tabs: the default first, then by language
    code; a new one last."""
    rows = MessageTemplate.objects.filter(key=template.key, channel_kind=template.channel_kind).order_by("locale") \
        if template.key else []
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

    error_message = gettext_lazy("Not saved: see what is marked below.")

    def get_page_subtitle(self):
        instance = getattr(self, "object", None) or self.form.instance
        return title_in_words(instance) or _("New message")

    def get_success_message(self, instance=None):
        """The message in words (Wagtail's names the model and shows the key: "Message template 'x' created");
        Wagtail's create view passes the saved message, its edit view has it as ``object``."""
        instance = instance or self.object
        return _("“%(message)s” is saved (%(version)s).") % {
            "version": version_name(instance.channel_kind, message_versions.main_kind(
                MessageTemplate.objects.filter(key=instance.key)) or instance.channel_kind),
            "message": isolate(title_in_words(instance))}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = self.form.instance if getattr(self, "form", None) is not None else self.object
        have = {row.locale for row in MessageTemplate.objects.filter(key=instance.key, channel_kind=instance.channel_kind)
                } if instance.key else set()
        context.update(
            versions=versions(instance),
            channel_tabs=channel_tabs(instance),
            add_versions=versions_to_add(instance),
            add_languages=[(code, language_name(code)) for code in ["", *site_languages()] if code not in have]
            if instance.pk else [],
            add_url=reverse("wagtailsnippets_masa_messagetemplate:add"),
            source=instance,
            header=text_in_words(instance) if instance.pk else "",
        )
        return context


class MessageCreateView(MessageViewMixin, CreateView):
    """A new message, a new language version of one (``?from=<pk>&locale=he``: its text copied to
    translate, its name, channel and pack kept), or a new channel version (``?from=<pk>&kind=sms``:
    its text copied, in the same language; an SMS or WhatsApp version takes the plain text only)."""

    def get_initial_form_instance(self):
        source_pk = self.request.GET.get("from", "")
        source = MessageTemplate.objects.filter(pk=source_pk).first() if source_pk.isdigit() else None
        if source is None or self.request.method != "GET":
            return super().get_initial_form_instance()
        kind = self.request.GET.get("kind", "")[:32]
        if kind in ADD_VERSION_WORDS:
            email = kind == "email"
            return MessageTemplate(key=source.key, pack=source.pack, channel_kind=kind, locale=source.locale,
                                   subject=source.subject if email else "", body=source.body,
                                   html_body=source.html_body if email else "")
        locale = self.request.GET.get("locale", "")[:16]
        return MessageTemplate(key=source.key, pack=source.pack, channel_kind=source.channel_kind, locale=locale,
                               subject=source.subject, body=source.body, html_body=source.html_body,
                               provider_template=source.provider_template)

    def get_page_subtitle(self):
        instance = self.form.instance
        if instance.key:
            main = message_versions.main_kind(MessageTemplate.objects.filter(key=instance.key))
            return _("%(version)s in %(language)s") % {
                "version": version_name(instance.channel_kind, instance.channel_kind if main is None else main),
                "language": language_name(instance.locale)}
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
