"""Public endpoints behind the tracking links: verify the token, store the event, answer.

They record, never decide: ``message_opened``, ``message_clicked``, ``unsubscribed``,
``survey_answered`` and ``list_joined`` become StoreEvents of the delivery's customer (opens and
clicks once per delivery and link, one answer per message, one sign-up per list), and rules act
on them like on any event. Whatever changes something (unsubscribe, answer, sign-up) asks for a
button press first, so mail scanners that fetch every link change nothing.
"""
from __future__ import annotations

import base64
import hashlib
import re

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from django.core import signing
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .. import consent, tracking
from ..models import Delivery
from ..eventstore import record_message_event
from ..ratelimit import rate_limited

# The message is the shop's content on this site's origin: a sandboxed document without script,
# forms, plugins or frames; only inline styles and images (https, data:) load.
MESSAGE_PAGE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
                               "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _delivery(value: str, kind: str) -> tuple[Delivery | None, dict]:
    try:
        payload = tracking.read(value, kind)
    except signing.BadSignature:
        return None, {}
    deliveries = Delivery.objects.select_related("customer", "action__rule", "channel")
    if "h" in payload:
        delivery = deliveries.filter(public_id=payload["h"]).first()
    else:  # links sent before tokens carried an opaque id
        delivery = deliveries.filter(idempotency_key=payload.get("d", "")).first()
    if delivery is not None and kind not in ("click", "view") and of_staff(delivery):
        return None, {}  # a staff alert sent before they went untracked: it records nothing as the customer's
    return delivery, payload


def of_staff(delivery: Delivery) -> bool:
    """A staff alert (``notify_staff``) is about the customer, not read by them: nothing staff do
    with it (open, click, answer, unsubscribe) is recorded as the customer's."""
    return delivery.action is not None and delivery.action.kind == "notify_staff"


@require_GET
@rate_limited("tracking")
def opened(request, token):
    delivery, _payload = _delivery(token, "open")
    if delivery is not None:
        record_message_event(delivery, "message_opened", f"message_opened:{delivery.idempotency_key}")
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@rate_limited("tracking")
def clicked(request, token):
    delivery, payload = _delivery(token, "click")
    if delivery is None:
        return HttpResponseBadRequest("This link is not valid.")
    url = payload["u"]
    link = hashlib.sha256(url.encode()).hexdigest()[:16]
    if not of_staff(delivery):
        record_message_event(delivery, "message_clicked", f"message_clicked:{delivery.idempotency_key}:{link}",
                             url=url)
    return HttpResponseRedirect(url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("tracking")
def unsubscribe(request, token):
    """GET shows a one-button page (link scanners must not unsubscribe anyone); POST, from that
    button or a mail client's one-click (RFC 8058), unsubscribes from marketing on the message's
    channel kind only (an SMS's link stops SMS; e-mail and WhatsApp stay as the customer said) —
    for a message whose channel was deleted since, the kind its address says (``message_kinds``)."""
    delivery, _unused = _delivery(token, "unsubscribe")
    if delivery is None:
        return HttpResponseBadRequest("This unsubscribe link is not valid.")
    kinds = message_kinds(delivery)
    with translation.override(delivery.customer.locale or None):
        if request.method == "GET":
            return _confirm_page(_("Unsubscribe"), STOP_QUESTIONS[kinds[0]](), _("Unsubscribe"))
        record_message_event(delivery, "unsubscribed",
                             f"unsubscribed:{delivery.customer_id}:{delivery.idempotency_key}", source="unsubscribe link",
                             channel=kinds[0], channels=kinds)
        return _done_page(STOPPED[kinds[0]]())


def message_kinds(delivery: Delivery) -> list[str]:
    """The consent kind(s) of the address a message went to: its channel's; when the channel was
    deleted since (the delivery keeps no kind), e-mail for an e-mail address, else the phone kinds it
    could have been (an approved template says WhatsApp), never e-mail for a phone's message."""
    if delivery.channel_id:
        return [consent.kind_for_channel(delivery.channel.kind)]
    if "@" in delivery.to:
        return ["email"]
    return ["whatsapp"] if delivery.provider_template else list(consent.BY_PHONE)


# What the unsubscribe page asks and answers, per consent kind (the message's channel's).
STOP_QUESTIONS = {"email": lambda: _("Stop marketing messages by e-mail?"),
                  "sms": lambda: _("Stop marketing messages by SMS?"),
                  "whatsapp": lambda: _("Stop marketing messages on WhatsApp?")}
STOPPED = {"email": lambda: _("You will get no more marketing messages by e-mail."),
           "sms": lambda: _("You will get no more marketing messages by SMS."),
           "whatsapp": lambda: _("You will get no more marketing messages on WhatsApp.")}
CHANNEL_NAMES = {"email": lambda: _("e-mail"), "sms": lambda: _("SMS"), "whatsapp": lambda: _("WhatsApp")}


ANSWER = re.compile(r"[a-z0-9_-]{1,40}")


def _confirm_page(title: str, question: str, button: str) -> HttpResponse:
    return HttpResponse(
        f'<!doctype html><meta charset="utf-8"><meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f'<form method="post"><p>{escape(question)}</p><button type="submit">{escape(button)}</button></form>')


def _done_page(text: str) -> HttpResponse:
    return HttpResponse(f'<!doctype html><meta charset="utf-8"><p>{escape(text)}</p>')


def _confirmed(request, delivery, confirm: tuple[str, str, str], record, done: str) -> HttpResponse:
    """GET asks with a button (mail scanners that fetch links change nothing); POST records."""
    if delivery is None:
        return HttpResponseBadRequest("This link is not valid.")
    if request.method == "GET":
        return _confirm_page(*confirm)
    record()
    return _done_page(done)


@require_GET
@rate_limited("tracking")
def view(request, token):
    """The message as it was sent ("view in the browser"), for the customer it was sent to."""
    delivery, _payload = _delivery(token, "view")
    if delivery is None:
        return HttpResponseBadRequest("This link is not valid.")
    content = delivery.html_body or f'<!doctype html><meta charset="utf-8"><pre>{escape(delivery.body)}</pre>'
    response = HttpResponse(content)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    for header, value in MESSAGE_PAGE_HEADERS.items():
        response[header] = value
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("tracking")
def answer(request, token):
    """A survey answer from a link in the message (``{{ survey_url }}satisfied``)."""
    delivery, _payload = _delivery(token, "answer")
    choice = request.GET.get("answer", "")
    if delivery is None or not ANSWER.fullmatch(choice):
        return HttpResponseBadRequest("This answer link is not valid.")
    label = choice.replace("-", " ").replace("_", " ")
    if request.method == "GET":
        return _confirm_page("Your answer", f"Your answer: {label}", "Send my answer")
    record_message_event(delivery, "survey_answered", f"survey_answered:{delivery.idempotency_key}", answer=choice)
    return _done_page("Thank you for your answer.")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("tracking")
def opt_in(request, token):
    """The recipient agrees to marketing messages (``{{ opt_in_url }}``), by pressing the button:
    on the kind of the channel that carried the link only — pressing it proves the recipient holds
    that address and nothing else (an e-mail's link gives no SMS or WhatsApp consent, whatever the
    confirmation was asked for: the number was typed by whoever filled the form or checkout)."""
    delivery, _unused = _delivery(token, "optin")
    kinds = message_kinds(delivery) if delivery is not None else []
    if len(kinds) != 1:  # a phone's message whose channel was deleted: SMS or WhatsApp, unknown
        return HttpResponseBadRequest("This link is not valid.")
    with translation.override(delivery.customer.locale or None):
        how = CHANNEL_NAMES[kinds[0]]()
        return _confirmed(request, delivery, (_("Stay in touch"), _("Send me news and offers by %(how)s?") % {"how": how},
                                              _("Yes, send me news")),
                          lambda: record_message_event(delivery, "marketing_opted_in",
                                                       f"marketing_opted_in:{delivery.idempotency_key}",
                                                       source="opt-in link", channels=kinds),
                          _("Thank you: you will hear from us."))


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("tracking")
def join_list(request, token, name):
    """A sign-up to a public list (an interest) from a link in the message."""
    delivery, _payload = _delivery(token, "list")
    label = name.replace("-", " ")
    return _confirmed(request, delivery, ("Join the list", f"Send me news about {label}?", "Yes, sign me up"),
                      lambda: record_message_event(delivery, "list_joined", f"list_joined:{delivery.customer_id}:{name}",
                                                   list=name),
                      f"Done: you will hear from us about {label}.")
