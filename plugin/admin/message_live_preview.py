"""The message editor's live preview: the text being typed, made for a real customer.

The editor posts its subject, text and HTML (with the CSRF token) as the owner types; the answer
is a fragment of HTML the page puts beside the editor: the message as that customer would get it
(``message_content``: text escaped, HTML in a sandboxed frame), its SMS length and parts, or why
it cannot be made. The text goes through the same bounded sandbox as a send (``rendering.render``)
with the preview's context (sample links, a sample voucher): nothing is saved, tracked or issued.

Who may change messages and see customers may preview; the customer list is a search over them.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import render as render_page
from django.views import View

from ..channels.sms import sms_parts
from ..models import Customer, MessageTemplate
from .. import approved_templates
from ..rendering import TemplateError, active_markup, render, render_text
from .base import AdminPage
from .customers import matching
from .preview import latest_event, preview_context

MAX_TEXT = 20000          # characters a previewed part may hold (the text field is unbounded)
MAX_VARIABLES = approved_templates.MAX_VARIABLES
CUSTOMERS_LISTED = 20


def default_customer(locale: str = "") -> Customer | None:
    """A recent customer, one who reads this language if there is one."""
    recent = Customer.objects.order_by("-updated_at")
    language = (locale or "").split("-", 1)[0]
    return (recent.filter(locale__istartswith=language).first() if language else None) or recent.first()


def chosen_customer(value: str, locale: str = "") -> Customer | None:
    if value and str(value).isdigit():
        found = Customer.objects.filter(pk=value).first()
        if found is not None:
            return found
    return default_customer(locale)


def _can_preview(user) -> bool:
    return user.has_perm("masa.change_messagetemplate") and user.has_perm("masa.view_customer")


class LivePreviewView(View):
    """POST: the fragment showing the posted text as the chosen customer would get it."""

    permission = "change_messagetemplate"
    template_name = "masa/admin/message_live_preview.html"

    def dispatch(self, request, *args, **kwargs):
        if not _can_preview(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render_page(request, self.template_name, {"waiting": True})

    def post(self, request):
        data = request.POST
        texts = {name: str(data.get(name, ""))[:MAX_TEXT] for name in ("subject", "body", "html_body")}
        locale = str(data.get("locale", ""))[:16]
        customer = chosen_customer(data.get("customer", ""), locale)
        approved = {"name": str(data.get("template_name", ""))[:512], "language": str(data.get("template_language", ""))[:16],
                    "variables": [str(v)[:500] for v in data.getlist("template_variables")[:MAX_VARIABLES] if v]} \
            if data.get("channel_kind") == "whatsapp" else None
        return render_page(request, self.template_name,
                           shown_to(customer, texts, sms=data.get("channel_kind") == "sms", approved=approved,
                                    locale=locale))


def shown_to(customer: Customer | None, texts: dict, sms: bool = False, approved: dict | None = None,
             locale: str = "") -> dict:
    """The live preview's context: ``texts`` (subject, body, html_body) made for ``customer``; with
    ``approved`` (a WhatsApp version's approved template), what would fill each of its variables."""
    context = {"customer": customer, "sms": sms}
    if customer is None:
        return {**context, "no_customer": True}
    event = latest_event(customer)
    context["event"] = event
    problems = [problem for text in texts.values() for problem in active_markup(text)]
    if problems:
        return {**context, "error": problems[0]}
    try:
        context["message"] = render(MessageTemplate(key="preview", **texts), preview_context(customer, event))
    except TemplateError as error:
        context["error"] = str(error).replace("template 'preview' ", "")
    else:
        context["parts"] = sms_parts(context["message"].body)
    if approved_templates.named(approved):
        context.update(approved_preview(approved, preview_context(customer, event), locale))
    return context


def approved_preview(spec: dict, context: dict, locale: str) -> dict:
    """The approved template as it would go: its name, WhatsApp language and each variable's text."""
    shown = {"approved": {"name": spec["name"], "language": approved_templates.language(spec, locale)}}
    try:
        shown["approved"]["parameters"] = approved_templates.parameters(spec, context, locale, render_text)
    except (approved_templates.ApprovedTemplateError, TemplateError) as error:
        shown["approved_error"] = str(error)
    return shown


class CustomerOptionsView(View):
    """GET ?q=: the customers matching a search, as the options of the preview's customer list."""

    permission = "change_messagetemplate"

    def dispatch(self, request, *args, **kwargs):
        if not _can_preview(request.user):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        query = request.GET.get("q", "").strip()[:100]
        customers = list(matching(query)[:CUSTOMERS_LISTED])
        return render_page(request, "masa/admin/message_customer_options.html",
                           {"customers": customers, "query": query})


PAGES = [
    AdminPage("masa/messages/live-preview/", LivePreviewView, name="masa_message_live_preview",
              permission="change_messagetemplate"),
    AdminPage("masa/messages/preview-customers/", CustomerOptionsView, name="masa_message_customers",
              permission="change_messagetemplate"),
]
