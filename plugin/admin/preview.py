"""A message as a real customer would get it: their data, their language's text, the order that
would have started it (their latest), shown as subject, text, HTML in a sandboxed frame and, for
SMS, its length and parts — and *Send a test to me* through any channel that can carry it.

A test carries a real customer's data, so it goes only to the signed-in staff member's own
address: their account's email, or for a channel that sends to a phone, their account's ``phone``
(a custom user model's field; Django's and Wagtail's users have none, so then no SMS test of a
customer's message is sent: the channel's own test page sends a fixed text to any number).

Nothing here makes a Delivery, a tracked link or a voucher: links point at the sample page and a
voucher reads as a sample code, so a preview costs the shop nothing and counts nowhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from ..channels import backend_class, backend_for
from ..channels.probe import ProbeFailed, send_test_message
from ..channels.sms import SmsParts, sms_parts
from ..models import Channel, Customer, MessageTemplate, StoreEvent
from .. import approved_templates
from ..rendering import (RenderedMessage, TemplateError, find_template, merge_context, render, render_text,
                         sample_links)
from .base import AdminPage, MasaPage
from .customers import matching
from .data_widgets import DataSelect
from .message_languages import language_name
from .message_tags import title_in_words

SAMPLE_VOUCHER = {"code": "PREVIEW-0000", "value": "10", "type": "percentage", "valid_until": ""}
TEST_PREFIX = "[Test] "


@dataclass
class Preview:
    customer: Customer
    template: MessageTemplate | None
    event: StoreEvent | None
    message: RenderedMessage | None = None
    error: str = ""

    @property
    def sms(self) -> SmsParts | None:
        return sms_parts(self.message.body) if self.message else None


def latest_event(customer: Customer) -> StoreEvent | None:
    """What a preview makes the message for: the customer's latest order, else their latest event."""
    events = StoreEvent.objects.filter(customer=customer).order_by("-occurred_at")
    return events.filter(name="order_placed").first() or events.first()


def preview_context(customer: Customer, event: StoreEvent | None) -> dict:
    """The merge context of a preview: the customer's data, sample links and a sample voucher."""
    return {**merge_context(customer, event), **sample_links(), "voucher": SAMPLE_VOUCHER}


def preview(key: str, customer: Customer, channel_kind: str = "") -> Preview:
    """The message ``key`` rendered for ``customer`` with their latest order (or latest event): the
    version a send over ``channel_kind`` takes ("" the main version)."""
    event = latest_event(customer)
    try:
        template = find_template(key, customer.locale, channel_kind)
    except TemplateError as error:
        return Preview(customer, None, event, error=str(error))
    context = preview_context(customer, event)
    try:
        return Preview(customer, template, event, render(template, context))
    except TemplateError as error:
        return Preview(customer, template, event, error=str(error))


def channels_for(template: MessageTemplate) -> list[Channel]:
    enabled = Channel.objects.filter(enabled=True).order_by("name")
    return list(enabled.filter(kind=template.channel_kind) if template.channel_kind else enabled)


def own_address(user, channel: Channel) -> str:
    """Where a test through ``channel`` may go: the staff member's own email, or phone (for a
    channel that sends to phones) if their user model has one; "" if they have none."""
    backend = backend_class(channel.kind)
    field = backend.address_field if backend is not None else "email"
    return str(getattr(user, field, "") or "").strip()


def own_addresses(user) -> str:
    """Where the staff member's tests go, in a sentence (HTML: their addresses set apart as data)."""
    email, phone = (user.email or "").strip(), str(getattr(user, "phone", "") or "").strip()
    by_email = (format_html(_("A test goes only to you: by email to {email}"), email=format_html("<bdi>{}</bdi>", email))
                if email else _("A test goes only to you, and your account has no email address"))
    by_phone = (format_html(_("by SMS to {phone}."), phone=format_html("<bdi>{}</bdi>", phone)) if phone else
                _("SMS tests of a customer's message need a phone number on your account "
                  "(test an SMS channel itself from its Test send page)."))
    return format_html(_("{by_email}; {by_phone}"), by_email=by_email, by_phone=by_phone)


class ChannelChoice(forms.ModelChoiceField):
    """A channel by its name (the shop's own words)."""

    widget = DataSelect

    def label_from_instance(self, obj):
        return obj.name


class TestForm(forms.Form):
    channel = ChannelChoice(queryset=Channel.objects.none(), label=gettext_lazy("Channel"))

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(pk__in=[c.pk for c in channels])


class MessagePreviewView(MasaPage):
    template_name = "masa/admin/message_preview.html"
    permission = "view_customer"
    header_icon = "doc-full"
    object_model, object_name = MessageTemplate, "message_template"

    def get_page_title(self):
        return format_html(_("Preview: {message}"), message=format_html("<bdi>{}</bdi>", title_in_words(self.message_template)))

    def customer(self) -> Customer | None:
        chosen = self.request.GET.get("customer") or self.request.POST.get("customer")
        if chosen and chosen.isdigit():
            return Customer.objects.filter(pk=chosen).first()
        return Customer.objects.order_by("-updated_at").first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        found = matching(query)[:10] if query else []
        customer = self.customer()
        shown = preview(self.message_template.key, customer, self.message_template.channel_kind) if customer else None
        channels = channels_for(self.message_template)
        context.update(
            template=self.message_template, query=query, found=found, customer=customer, preview=shown,
            preview_language=language_name(shown.template.locale) if shown and shown.template and
            shown.template.locale else "",
            can_test=self.request.user.has_perm("masa.change_channel") and bool(channels),
            form=kwargs.get("form") or TestForm(channels=channels, initial={"channel": channels[0].pk
                                                                            if channels else None}),
            test_goes_to=own_addresses(self.request.user),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("masa.change_channel"):
            raise PermissionDenied
        form = TestForm(request.POST, channels=channels_for(self.message_template))
        customer = self.customer()
        if not form.is_valid() or customer is None:
            return self.render_to_response(self.get_context_data(form=form))
        shown = preview(self.message_template.key, customer, self.message_template.channel_kind)
        channel = form.cleaned_data["channel"]
        to = own_address(request.user, channel)
        if not to:
            messages.error(request, _("Nothing was sent: a test of a customer's message goes only to your own "
                                      "address, and your account has none for %(channel)s. Send it through an "
                                      "email channel, or test the channel itself from its Test send page.")
                           % {"channel": channel.name})
        elif shown.message is None:
            messages.error(request, _("Nothing was sent: %(problem)s") % {"problem": shown.error})
        else:
            html_body = shown.message.html_body if backend_for(channel).kind == "email" else ""
            try:
                send_test_message(channel, to, shown.message.body, subject=TEST_PREFIX + shown.message.subject,
                                  html_body=html_body, provider_template=test_template(shown, channel))
                messages.success(request, _("Sent a test of “%(message)s” to %(to)s through %(channel)s.") % {
                    "message": shown.message.subject or title_in_words(self.message_template), "to": to,
                    "channel": channel.name})
                ok = True
            except (ProbeFailed, approved_templates.ApprovedTemplateError) as error:
                messages.error(request, str(error))
                ok = False
            log(instance=self.message_template, action="masa.message.test", user=request.user,
                data={"channel": channel.name, "to": to, "customer": customer.pk, "ok": ok})
        return redirect(f"{reverse('masa_message_preview', args=[self.message_template.pk])}?customer={customer.pk}")


def test_template(shown: Preview, channel: Channel) -> dict | None:
    """The approved template a WhatsApp test goes as, its variables made for the previewed customer
    (raises ApprovedTemplateError in words); None for other channels or a version that names none."""
    spec = shown.template.provider_template if shown.template is not None else {}
    if channel.kind != Channel.Kind.WHATSAPP or not approved_templates.named(spec):
        return None
    language = approved_templates.language(spec, shown.template.locale)
    if not language:
        raise approved_templates.ApprovedTemplateError(
            _("Nothing was sent: the approved template has no language; choose it in the message editor."))
    context = preview_context(shown.customer, shown.event)
    return {"name": spec["name"], "language": language,
            "parameters": approved_templates.parameters(spec, context, shown.template.locale, render_text)}


def preview_url(key: str, pack: str = "") -> str:
    """The preview page of a template key (its pack's default-locale text), or ""."""
    template = (MessageTemplate.objects.filter(key=key, locale="", pack__in=[pack, ""]).order_by("-pack").first()
                or MessageTemplate.objects.filter(key=key).order_by("locale").first())
    return reverse("masa_message_preview", args=[template.pk]) if template else ""


PAGES = [AdminPage("masa/messages/<int:pk>/preview/", MessagePreviewView, name="masa_message_preview")]
