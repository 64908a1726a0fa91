"""What the webhooks of Masa's own channels share (WhatsApp's, SMS replies): the channel a URL
names, the refusal of a request with its code, recorded bounded (``rejections``) and answered."""
from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

from ..models import Channel
from .rejections import record_rejection
from .unavailable import database_unavailable


class Refusal(Exception):
    """A refused request; its code (``whatsapp_…``, ``sms_…``) is what *Needs attention* explains
    (``admin.attention``)."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def enabled_channel(channel_id: int, kind: str, prefix: str, label: str) -> Channel:
    """The enabled channel of this kind with this id; else a 404 refusal (``<prefix>_unknown_channel``,
    ``<prefix>_channel_disabled``)."""
    channel = Channel.objects.filter(pk=channel_id, kind=kind).first()
    if channel is None:
        raise Refusal(404, f"{prefix}_unknown_channel", f"no {label} channel {channel_id}")
    if not channel.enabled:
        raise Refusal(404, f"{prefix}_channel_disabled", f"the {label} channel {channel_id} is turned off")
    return channel


def refused(request, refusal: Refusal, *, source: str, event: str, channel: Channel | None, what: str,
            empty: bool = False) -> HttpResponse:
    """Record the refusal and answer it (``empty``: no body, e.g. to a subscription check); 503 when
    even the refusal cannot be recorded."""
    try:
        record_rejection(request, refusal.code, refusal.detail, status=refusal.status, source=source,
                         event=event, domain=channel.name if channel else "")
    except (OperationalError, InterfaceError) as error:
        return database_unavailable(error, what)
    if empty:
        return HttpResponse(status=refusal.status)
    return JsonResponse({"error": refusal.code, "detail": refusal.detail}, status=refusal.status)
