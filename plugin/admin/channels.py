"""Channels in the Wagtail admin, set up by kind: choose a kind and a provider, fill that provider's
labelled settings (declared beside its code, ``channels.setup``; secrets write-only), save only
when nothing is missing, send yourself a test from the same page; the list says kind and health
in words."""
from __future__ import annotations

import json
from datetime import timedelta

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log
from wagtail.admin.ui.tables import TitleColumn
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, IndexView, SnippetViewSet

from .. import conf
from ..channels import backend_class, backends, kind_choices
from ..channels.base import TransientChannelError
from ..channels.probe import ProbeFailed, probe_channel
from ..channels.safety import channel_problems
from ..channels.setup import FLAG, PHONE, Setting
from ..models import Channel
from .base import AdminPage, MasaChooserViewSet, MasaPage
from ..bidi import isolate
from .preview import own_address

FIELD = "setting_"     # the prefix of a provider setting's form field
TEST_BUTTON = "masa-test"


def probe_text() -> str:
    return _("Test message from Masa: this channel works.")


def setting_field(setting: Setting, stored, has_stored_secret: bool) -> forms.Field:
    """The form field of one declared setting, filled with what is stored (never a secret)."""
    common = {"label": setting.label, "required": False}
    if setting.type == FLAG:
        return forms.BooleanField(initial=bool(stored), help_text=setting.help, **common)
    attrs = {"placeholder": setting.placeholder} if setting.placeholder else {}
    if setting.secret:
        attrs["autocomplete"] = "new-password"
        help_text = _("Set — leave blank to keep it.") if has_stored_secret else setting.help
        return forms.CharField(widget=forms.PasswordInput(attrs=attrs, render_value=False), help_text=help_text,
                               **common)
    attrs["dir"] = "ltr"   # addresses, numbers, keys: left to right in a Hebrew page too
    return forms.CharField(widget=forms.TextInput(attrs=attrs), initial=stored if stored not in (None, "") else None,
                           help_text=setting.help, **common)


class ChannelForm(WagtailAdminModelForm):
    """The settings of one kind and provider, as labelled fields; config and secrets are built from
    them, keeping entries no declared setting owns (written by an agency)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        kind = (self.data.get("kind") if self.is_bound and creating else None) or self.instance.kind \
            or self.initial.get("kind") or ""
        self.backend = backend_class(kind)
        self.fields["name"].label = _("Name")
        self.fields["name"].help_text = _("For you and your rules, e.g. “Shop SMS”.")
        if "enabled" in self.fields:
            self.fields["enabled"].label = _("On")
            self.fields["enabled"].help_text = _("Messages go through this channel only while it is on.")
        self.fields["kind"] = forms.ChoiceField(choices=kind_choices(), widget=forms.HiddenInput,
                                                initial=kind, disabled=not creating)
        self.current = self.backend.provider_for(self.instance.config) if self.backend else None
        key = self.data.get("provider") if self.is_bound else self.initial.get("provider")
        self.provider = (self.backend.provider_named(key) if self.backend and key else None) or self.current
        choices = [(p.key, p.label) for p in (self.backend.available_providers() if self.backend else ())]
        if self.current is not None and self.current.custom:
            choices.append((self.current.key, self.current.label))
        self.fields["provider"] = forms.ChoiceField(choices=choices, widget=forms.HiddenInput,
                                                    initial=self.provider.key if self.provider else None)
        self.changing_provider = bool(self.provider and self.current and self.provider.key != self.current.key)
        config, secrets = self.instance.config or {}, self.instance.secrets or {}
        for setting in self.provider.settings if self.provider else ():
            stored = (secrets if setting.stored_in_secrets else config).get(setting.name)
            keeps_secret = setting.secret and bool(stored) and not self.changing_provider
            self.fields[FIELD + setting.name] = setting_field(setting, None if setting.secret else stored, keeps_secret)
        address = self.backend.address_field if self.backend else "email"
        self.fields["test_to"] = forms.CharField(
            required=False, initial=own_address(self.for_user, self.instance) if self.for_user else "",
            label=_("Your phone number") if address == "phone" else _("Your email address"),
            help_text=_("A test goes only to you."),
            widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}))

    @property
    def settings(self) -> tuple[Setting, ...]:
        return self.provider.settings if self.provider else ()

    def setting_fields(self, for_agencies: bool):
        return [self[FIELD + s.name] for s in self.settings if s.for_agencies == for_agencies]

    @property
    def missing(self) -> list[str]:
        """What the owner still has to fill in, in words (after a refused save)."""
        return [str(s.missing) for s in self.settings
                if s.required and any(str(s.missing) == str(e) for e in self.errors.get(FIELD + s.name, []))]

    def _kept(self, stored: dict, in_secrets: bool) -> dict:
        """Entries no setting of this kind declares (an agency's), kept as they are."""
        if self.provider.custom:
            return dict(stored)
        declared = {s.name for p in self.backend.providers for s in p.settings if s.stored_in_secrets == in_secrets}
        marks = {name for p in self.backend.providers for name in p.marks}
        return {k: v for k, v in stored.items() if k not in declared and (in_secrets or k not in marks)}

    def clean(self):
        cleaned = super().clean()
        if self.backend is None or self.provider is None:
            raise ValidationError(_("Choose what kind of channel this is."))
        marks = {name: value for name, value in self.provider.marks.items() if value}
        config = {**self._kept(self.instance.config or {}, False), **marks}
        secrets = self._kept(self.instance.secrets or {}, True)
        for setting in self.settings:
            name = FIELD + setting.name
            try:
                value = setting.clean(cleaned.get(name))
            except ValidationError as error:
                self.add_error(name, error)
                continue
            stored = (self.instance.secrets or {}).get(setting.name)
            if setting.secret and value == "" and stored and not self.changing_provider:
                value = stored
            if setting.generated and value == "":
                kept = ((self.instance.secrets if setting.stored_in_secrets else self.instance.config) or {})
                value = kept.get(setting.name) or get_random_string(32)
            if setting.required and value in ("", None):
                self.add_error(name, setting.missing)
            elif value not in ("", None, False):
                (secrets if setting.stored_in_secrets else config)[setting.name] = value
        if not self.errors:
            for problem in [*channel_problems(self.backend.kind, config, secrets, self.backend.url_fields),
                            *self.backend.problems(config, secrets)]:
                self.add_error(None, _("These settings are refused: %(reason)s") % {"reason": problem})
        if self.data.get(TEST_BUTTON):
            self._clean_test_to(cleaned.get("test_to") or "")
        self.new_config, self.new_secrets = config, secrets
        return cleaned

    def _clean_test_to(self, to: str) -> None:
        if self.backend.address_field == "phone":
            number = "".join(c for c in to if c.isdigit() or c == "+")
            if not PHONE.match(number):
                self.add_error("test_to", _("Enter your phone number in international form, like +972501234567, "
                                            "to receive the test."))
            self.cleaned_data["test_to"] = number
            return
        try:
            validate_email(to.strip())
        except ValidationError:
            self.add_error("test_to", _("Enter your email address to receive the test."))

    def save(self, commit=True):
        self.instance.config, self.instance.secrets = self.new_config, self.new_secrets
        return super().save(commit=commit)


def reply_address(channel: Channel, request) -> dict | None:
    """Where a saved WhatsApp or SMS channel's provider sends what customers answer (and, for
    WhatsApp, delivery reports), in full, with where the owner pastes it; None for other kinds."""
    if channel.pk is None or channel.kind not in (Channel.Kind.WHATSAPP, Channel.Kind.SMS):
        return None
    whatsapp = channel.kind == Channel.Kind.WHATSAPP
    path = reverse("masa:whatsapp-webhook" if whatsapp else "masa:sms-webhook", args=[channel.pk])
    public = conf.get("PUBLIC_URL")
    address = {"url": public.rstrip("/") + path if public else request.build_absolute_uri(path),
               "guessed": not public, "token": ""}
    if whatsapp:
        address.update(
            label=_("Callback URL"),
            where=_("In your Meta app: WhatsApp › Configuration › Webhook › Edit. Paste it as the callback URL, "
                    "then subscribe to the “messages” field."),
            token_label=_("Verify token"), token=str((channel.secrets or {}).get("verify_token") or ""),
            token_where=_("Paste it as the verify token in the same place."))
    elif (channel.config or {}).get("provider") == "twilio":
        address.update(
            label=_("Address for replies"),
            where=_("In Twilio's console: Phone Numbers › your number › Messaging › “A message comes in”. "
                    "Paste it there, with HTTP POST."))
    else:
        address.update(
            label=_("Address for replies"),
            where=_("In your SMS provider's settings for incoming messages."),
            token_label=_("Token for replies"), token=str((channel.secrets or {}).get("inbound_token") or ""),
            token_where=_("Your provider sends it as “Authorization: Bearer …”, or at the end of the address as "
                          "?token=…"))
    return address


class ChannelSettingsPanel(Panel):
    """Kind and provider in words, the provider's labelled settings, the agencies' part folded away,
    and a test send to oneself."""

    def get_form_options(self):
        return {"fields": ["kind"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "masa/admin/channel_settings_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            form, instance = self.form, self.instance
            provider = form.provider
            change_url = ""
            if form.backend and len(form.backend.available_providers()) > 1:
                change_url = (reverse("wagtailsnippets_masa_channel:add") + f"?kind={form.backend.kind}"
                              if instance.pk is None else
                              reverse("masa_channel_providers", args=[instance.pk]))
            context.update(
                kind_label=form.backend.label if form.backend else "", provider=provider, change_url=change_url,
                kind=form.backend.kind if form.backend else "",
                hidden=[form["kind"], form["provider"]], fields=form.setting_fields(False),
                agency_fields=form.setting_fields(True), missing=form.missing if form.is_bound else [],
                stored_secrets=sorted((instance.secrets or {}).keys()),
                config_json=json.dumps(instance.config or {}, ensure_ascii=False, indent=2, sort_keys=True),
                test_to=form["test_to"], test_button=TEST_BUTTON, creating=instance.pk is None,
                reply_address=reply_address(instance, self.request),
            )
            return context


class ChannelEditHandler(ObjectList):
    """The channel form's panels; the provider's fields are rendered by ChannelSettingsPanel only."""

    class BoundPanel(ObjectList.BoundPanel):
        def render_missing_fields(self):
            mine = {"kind", "provider", "test_to"}
            return mark_safe("".join(str(self.form[name]) for name in self.form.fields  # noqa: S308
                                     if name not in mine and not name.startswith(FIELD)
                                     and name not in self.panel.get_form_options().get("fields", [])))


def run_test(request, channel: Channel, to: str) -> bool:
    """Send the test message to ``to`` (the staff member's own address), say how it went, log it."""
    try:
        probe_channel(channel, to, probe_text(), subject=_("Masa test message"))
        messages.success(request, _("A test went to %(to)s through “%(channel)s”. Check that it arrived.")
                         % {"to": isolate(to), "channel": isolate(channel.name)})
        ok = True
    except ProbeFailed as error:
        if isinstance(error.__cause__, TransientChannelError):
            messages.error(request, _("The test did not go through: Masa could not reach the provider, or it did not "
                                      "answer in time. Try again in a minute; if it keeps failing, pass this on to "
                                      "whoever runs your site: %(error)s") % {"error": isolate(error)})
        else:
            messages.error(request, _("The test did not go through: %(error)s") % {"error": isolate(error)})
        ok = False
    log(instance=channel, action="masa.channel.test", user=request.user, data={"ok": ok})
    return ok


class _ChannelsInWords:
    """Wagtail names the model in its breadcrumbs ("channels", "New: …"); these say it in the
    admin's language."""

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        index = reverse("wagtailsnippets_masa_channel:list")
        return [{**item, "label": _("Channels")} if item.get("url") == index else item for item in items]


class _SavesAndTests:
    """After a save: the edit page (with a test sent, when asked), where the test section is."""

    error_message = gettext_lazy("Not saved: see what is marked below.")

    def save_action(self):
        if self.request.POST.get(TEST_BUTTON):
            messages.success(self.request, _("“%(channel)s” is saved.") % {"channel": isolate(self.object.name)})
            run_test(self.request, self.object, self.form.cleaned_data["test_to"])
            return redirect(reverse("wagtailsnippets_masa_channel:edit", args=[self.object.pk]))
        return super().save_action()


class ChannelCreateView(_ChannelsInWords, _SavesAndTests, CreateView):
    """Adding a channel: step 1 (no kind and provider in the URL yet) chooses them, in words; step 2
    is the form of that provider's settings."""

    page_title = gettext_lazy("New channel")

    def chosen(self):
        asked = self.request.POST if self.request.method == "POST" else self.request.GET
        backend = backend_class(asked.get("kind", ""))
        provider = backend.provider_named(asked.get("provider", "")) if backend else None
        if provider is None and backend and len(backend.available_providers()) == 1:
            provider = backend.available_providers()[0]
        return backend, provider

    def choosing(self) -> bool:
        return self.request.method == "GET" and self.chosen()[1] is None

    def get_template_names(self):
        return ["masa/admin/channel_kinds.html"] if self.choosing() else super().get_template_names()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.choosing():
            add, chosen = reverse("wagtailsnippets_masa_channel:add"), self.request.GET.get("kind", "")
            context["kinds"] = [
                {"kind": kind, "label": backend.label, "description": backend.description, "chosen": kind == chosen,
                 "providers": [{"label": p.label, "description": p.description,
                                "url": f"{add}?kind={kind}&provider={p.key}"} for p in backend.available_providers()]}
                for kind, backend in backends().items()]
        return context

    def get_initial_form_instance(self):
        backend, provider = self.chosen()
        return Channel(kind=backend.kind if backend else "", config=dict(provider.marks) if provider else {})

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        backend, provider = self.chosen()
        kwargs["initial"] = {**kwargs.get("initial", {}), "kind": backend.kind if backend else "",
                             "provider": provider.key if provider else ""}
        return kwargs

    def get_breadcrumbs_items(self):
        *above, _here = super().get_breadcrumbs_items()
        return [*above, {"url": "", "label": self.get_page_subtitle() or _("New channel")}]

    def get_page_subtitle(self):
        backend, provider = self.chosen()
        if provider is None:
            return _("Choose a kind") if self.request.method == "GET" else ""
        if len(backend.available_providers()) > 1:
            return _("%(kind)s · %(provider)s") % {"kind": backend.label, "provider": isolate(provider.label)}
        return str(backend.label)

    def get_success_url(self):
        return reverse("wagtailsnippets_masa_channel:edit", args=[self.object.pk])

    def get_success_message(self, instance):
        return _("“%(channel)s” is saved. Send yourself a test to see that it works.") % {
            "channel": isolate(instance.name)}


class _NamedAsData:
    """The channel's name in the page's title, isolated as data (a Latin name in a Hebrew page)."""

    def get_page_subtitle(self):
        return isolate(self.object.name)


class ChannelEditView(_ChannelsInWords, _NamedAsData, _SavesAndTests, EditView):
    def get_form_kwargs(self):
        """``?provider=`` (from *Choose another provider*): the form asks for that provider's settings."""
        kwargs = super().get_form_kwargs()
        if self.request.method == "GET" and self.request.GET.get("provider"):
            kwargs["initial"] = {**kwargs.get("initial", {}), "provider": self.request.GET["provider"]}
        return kwargs


class ChannelDeleteView(_NamedAsData, DeleteView):
    pass


def health_words(channel: Channel) -> dict:
    """How the channel is doing, in a sentence, with the provider's last answer for the details."""
    now = timezone.now()
    if channel.circuit_open_until and channel.circuit_open_until > now:
        state, text = "paused", _("Paused until %(time)s after %(count)s failures in a row; "
                                  "sends wait and are tried again then.") % {
            "time": timezone.localtime(channel.circuit_open_until).strftime("%H:%M"),
            "count": channel.consecutive_failures}
    elif channel.last_error_at and (not channel.last_success_at or channel.last_error_at > channel.last_success_at):
        state, text = "failing", _("Not working: the last try, %(when)s ago, did not go through.") % {
            "when": timesince(channel.last_error_at, now)}
    elif channel.last_success_at and now - channel.last_success_at < timedelta(minutes=1):
        state, text = "working", _("Working: last sent a moment ago.")
    elif channel.last_success_at:
        state, text = "working", _("Working: last sent %(when)s ago.") % {
            "when": timesince(channel.last_success_at, now)}
    else:
        state, text = "unused", _("Nothing sent yet: send yourself a test.")
    return {"state": state, "text": text, "error": channel.last_error if state in ("paused", "failing") else ""}


def kind_words(channel: Channel) -> str:
    backend = backend_class(channel.kind)
    if backend is None:
        return _("Unknown kind (%(kind)s)") % {"kind": channel.kind}
    provider = backend.provider_for(channel.config)
    if len(backend.providers) > 1:
        return _("%(kind)s · %(provider)s") % {"kind": backend.label, "provider": isolate(provider.label)}
    return str(backend.label)


class NameColumn(TitleColumn):
    """The channel's name, linked to its settings, isolated as data."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "label": gettext_lazy("Name")})

    def get_value(self, instance):
        return format_html("<bdi>{}</bdi>", instance.name)


class ChannelIndexView(_ChannelsInWords, IndexView):
    page_title = gettext_lazy("Channels")

    @property
    def add_item_label(self):
        return _("Add a channel")

    def _get_title_column(self, field_name, column_class=NameColumn, **kwargs):
        return super()._get_title_column(field_name, column_class, **kwargs)


class KindColumn(Column):
    def get_value(self, instance):
        return kind_words(instance)


class HealthColumn(Column):
    cell_template_name = "masa/admin/channel_health_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(channel=instance, health=health_words(instance),
                       test_url=reverse("masa_channel_test", args=[instance.pk]))
        return context


class OnOffColumn(Column):
    """A switch in words ("On"/"Off", translated), not a Python boolean."""

    def get_value(self, instance):
        return _("On") if getattr(instance, self.accessor) else _("Off")


class ChannelFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=kind_choices, label=gettext_lazy("Kind"))
    enabled = django_filters.BooleanFilter(label=gettext_lazy("On"))

    class Meta:
        model = Channel
        fields = ["kind", "enabled"]


class ChannelViewSet(SnippetViewSet):
    model = Channel
    chooser_viewset_class = MasaChooserViewSet
    icon = "mail"
    menu_label = gettext_lazy("Channels")
    index_view_class = ChannelIndexView
    copy_view_enabled = False      # a channel is set up from its kind, not copied with its secrets
    add_view_class = ChannelCreateView
    edit_view_class = ChannelEditView
    delete_view_class = ChannelDeleteView
    filterset_class = ChannelFilterSet
    list_display = ["name", KindColumn("kind", label=gettext_lazy("Kind"), sort_key="kind"),
                    OnOffColumn("enabled", label=gettext_lazy("On/off"), sort_key="enabled"),
                    HealthColumn("health", label=gettext_lazy("Health"))]
    edit_handler = ChannelEditHandler([FieldPanel("name"), FieldPanel("enabled"), ChannelSettingsPanel()],
                                      base_form_class=ChannelForm)


class ChannelProvidersView(MasaPage):
    """Change the provider of a channel: its settings are then asked again."""

    template_name = "masa/admin/channel_providers.html"
    permission = "change_channel"
    header_icon = "mail"
    object_model, object_name = Channel, "channel"
    parent = (gettext_lazy("Channels"), "wagtailsnippets_masa_channel:list")

    def get_page_title(self):
        return _("Change the provider of “%(channel)s”") % {"channel": isolate(self.channel.name)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        backend = backend_class(self.channel.kind)
        edit = reverse("wagtailsnippets_masa_channel:edit", args=[self.channel.pk])
        current = backend.provider_for(self.channel.config) if backend else None
        context.update(channel=self.channel, edit_url=edit, providers=[
            {"label": p.label, "description": p.description, "url": f"{edit}?provider={p.key}",
             "current": current is not None and p.key == current.key}
            for p in (backend.available_providers() if backend else ())])
        return context


class TestSendForm(forms.Form):
    to = forms.CharField(label=gettext_lazy("Send to"), max_length=255,
                         help_text=gettext_lazy("Your own email address or phone number"),
                         widget=forms.TextInput(attrs={"dir": "ltr"}))


class ChannelTestView(MasaPage):
    template_name = "masa/admin/channel_test.html"
    permission = "change_channel"
    header_icon = "mail"
    object_model, object_name = Channel, "channel"
    parent = (gettext_lazy("Channels"), "wagtailsnippets_masa_channel:list")

    def get_page_title(self):
        return _("Send a test: %(channel)s") % {"channel": isolate(self.channel.name)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.channel.refresh_from_db()
        context.update(channel=self.channel, kind=kind_words(self.channel), health=health_words(self.channel),
                       edit_url=reverse("wagtailsnippets_masa_channel:edit", args=[self.channel.pk]),
                       form=kwargs.get("form") or TestSendForm(
                           initial={"to": own_address(self.request.user, self.channel)}))
        return context

    def post(self, request, *args, **kwargs):
        form = TestSendForm(request.POST)
        if form.is_valid():
            run_test(request, self.channel, form.cleaned_data["to"].strip())
            return redirect(reverse("masa_channel_test", args=[self.channel.pk]))
        return self.render_to_response(self.get_context_data(form=form))


PAGES = [
    AdminPage("masa/channels/<int:pk>/provider/", ChannelProvidersView, name="masa_channel_providers"),
    AdminPage("masa/channels/<int:pk>/test/", ChannelTestView, name="masa_channel_test"),
]
