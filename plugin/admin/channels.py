"""Channels in the Wagtail admin: settings, write-only secrets, health, and a test send."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log
from wagtail.snippets.views.snippets import SnippetViewSet

from ..channels import backend_class, kind_choices
from ..channels.probe import DEFAULT_TEXT, ProbeFailed, send_test_message
from ..channels.safety import channel_problems
from ..models import Channel
from .base import AdminPage, MasaChooserViewSet, MasaPage


class WriteOnlyTextarea(forms.Textarea):
    """Never renders a value: what was typed is not sent back to the browser, even on an error."""

    def format_value(self, value):
        return ""


def parse_secret_lines(text: str) -> dict[str, str]:
    secrets = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise forms.ValidationError(f"line {number}: write NAME=value")
        secrets[name.strip()] = value.strip()
    return secrets


class ChannelForm(WagtailAdminModelForm):
    set_secrets = forms.CharField(
        label="Set secrets", required=False, widget=WriteOnlyTextarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One NAME=value per line. Values are stored and never shown again; "
                  "leave empty to keep the current ones.",
    )
    remove_secrets = forms.MultipleChoiceField(label="Remove secrets", required=False,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = sorted((self.instance.secrets or {}).keys())
        self.fields["remove_secrets"].choices = [(name, name) for name in names]
        stored = ", ".join(names) if names else "none"
        backend = backend_class(self.instance.kind or "")
        hint = backend.secret_hint if backend else ""
        if "kind" in self.fields:
            self.fields["kind"] = forms.ChoiceField(choices=kind_choices(), label="Kind",
                                                    initial=self.instance.kind or None,
                                                    disabled=self.fields["kind"].disabled)
        self.fields["set_secrets"].help_text += f" Stored now: {stored}. {hint}"
        if not self.for_user or not self.for_user.has_perm("masa.change_channel"):
            for name in ("set_secrets", "remove_secrets"):
                self.fields[name].disabled = True

    def clean_set_secrets(self):
        return parse_secret_lines(self.cleaned_data.get("set_secrets", ""))

    def _new_secrets(self) -> dict:
        secrets = dict(self.instance.secrets or {})
        for name in self.cleaned_data.get("remove_secrets") or []:
            secrets.pop(name, None)
        secrets.update(self.cleaned_data.get("set_secrets") or {})
        return secrets

    def clean(self):
        cleaned = super().clean()
        config = cleaned.get("config")
        backend = backend_class(cleaned.get("kind") or "")
        if backend is not None and isinstance(config, dict):
            secrets = self._new_secrets()
            for problem in [*channel_problems(backend.kind, config, secrets, backend.url_fields),
                            *backend.problems(config, secrets)]:
                self.add_error("config", problem)
        return cleaned

    def save(self, commit=True):
        self.instance.secrets = self._new_secrets()
        return super().save(commit=commit)


def circuit_state(channel: Channel) -> str:
    if channel.circuit_open_until and channel.circuit_open_until > timezone.now():
        return f"open until {timezone.localtime(channel.circuit_open_until):%H:%M}"
    return f"closed ({channel.consecutive_failures} failures in a row)" if channel.consecutive_failures else "closed"


class HealthColumn(Column):
    cell_template_name = "masa/admin/channel_health_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(channel=instance, circuit=circuit_state(instance),
                       test_url=reverse("masa_channel_test", args=[instance.pk]))
        return context


class OnOffColumn(Column):
    """A switch in words ("On"/"Off", translated), not a Python boolean."""

    def get_value(self, instance):
        return _("On") if getattr(instance, self.accessor) else _("Off")


class ChannelViewSet(SnippetViewSet):
    model = Channel
    chooser_viewset_class = MasaChooserViewSet
    icon = "mail"
    menu_label = "Channels"
    list_display = ["name", "kind", OnOffColumn("enabled", label=gettext_lazy("On/off"), sort_key="enabled"),
                    HealthColumn("health", label="Health")]
    list_filter = ["kind", "enabled"]
    edit_handler = ObjectList([
        FieldPanel("name"), FieldPanel("kind"), FieldPanel("enabled"), FieldPanel("config"),
        FieldPanel("set_secrets"), FieldPanel("remove_secrets"),
    ], base_form_class=ChannelForm)


class TestSendForm(forms.Form):
    to = forms.CharField(label="Send to", max_length=255, help_text="An e-mail address or a phone number")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=DEFAULT_TEXT)


class ChannelTestView(MasaPage):
    template_name = "masa/admin/channel_test.html"
    permission = "change_channel"
    header_icon = "mail"

    object_model, object_name = Channel, "channel"

    def get_page_title(self):
        return f"Test send: {self.channel.name}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.channel.refresh_from_db()
        context.update(channel=self.channel, circuit=circuit_state(self.channel),
                       form=kwargs.get("form") or TestSendForm())
        return context

    def post(self, request, *args, **kwargs):
        form = TestSendForm(request.POST)
        if form.is_valid():
            try:
                result = send_test_message(self.channel, form.cleaned_data["to"], form.cleaned_data["text"])
                messages.success(request, f"Sent to {form.cleaned_data['to']} "
                                          f"(provider id {result.provider_message_id or '-'}).")
                ok = True
            except ProbeFailed as error:
                messages.error(request, str(error))
                ok = False
            log(instance=self.channel, action="masa.channel.test", user=request.user, data={"ok": ok})
            return redirect(reverse("masa_channel_test", args=[self.channel.pk]))
        return self.render_to_response(self.get_context_data(form=form))


PAGES = [AdminPage("masa/channels/<int:pk>/test/", ChannelTestView, name="masa_channel_test")]
