"""The two endpoints a Saleor App has (Saleor's App protocol): the manifest the dashboard reads,
and the register URL Saleor POSTs the app's token to on install (``saleor.installation``)."""
from __future__ import annotations

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .. import conf
from ..ratelimit import rate_limited
from ..saleor import installation
from .rejections import header, record_rejection

log = logging.getLogger(__name__)


def _base_url(request) -> str:
    return conf.get("PUBLIC_URL") or request.build_absolute_uri("/")


@require_GET
def manifest(request):
    return JsonResponse(installation.manifest(_base_url(request)))


@csrf_exempt
@require_POST
@rate_limited("webhook", rejections="webhook_rejected")
def register(request):
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    try:
        if not isinstance(body, dict):
            raise installation.InstallRefused(400, "invalid_json", "the body must be a JSON object with auth_token")
        # Anyone can call this URL and write these headers: Saleor-Domain is not read at all, and the
        # API URL only names which allowed store to ask whether the token is Masa's.
        installed = installation.register(body.get("auth_token"), header(request, "Saleor-Api-Url"))
    except installation.InstallRefused as refused:
        record_rejection(request, f"install_{refused.code}", refused.detail, status=refused.status)
        return JsonResponse({"success": False, "error": {"code": refused.code, "message": refused.detail}},
                            status=refused.status)
    return JsonResponse({"success": True, "domain": installed.domain})
