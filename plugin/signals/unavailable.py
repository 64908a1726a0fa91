"""The answer every intake endpoint gives when nothing could be stored: 503 with ``Retry-After``,
so that the sender (Saleor, Meta, an SMS provider) delivers it again later; nothing is lost."""
from __future__ import annotations

import logging

from django.http import JsonResponse

log = logging.getLogger("masa.signals")


def database_unavailable(error, what: str) -> JsonResponse:
    """``what``: the request, in the log's words ("Saleor webhook", "WhatsApp webhook", "SMS reply")."""
    log.error("%s not stored, the database is unavailable: %s", what, error)
    response = JsonResponse({"error": "database_unavailable", "detail": "try again later"}, status=503)
    response["Retry-After"] = "30"
    return response
