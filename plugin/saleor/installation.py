"""Masa as a Saleor App: the manifest, the install (token registration), uninstall, and which
store's token a call uses.

Install: the shop admin pastes ``https://<this site>/masa/saleor/manifest/`` into the Saleor
dashboard; Saleor shows the permissions and, on *Install*, POSTs ``{"auth_token": …}`` with
``Saleor-Api-Url`` and ``Saleor-Domain`` headers to the manifest's ``tokenTargetUrl``. Masa takes
the token only from a store the site allows (``MASA["SALEOR_STORES"]`` or
``MASA["SALEOR_APP_API_URLS"]``), checks it by asking that store's API who the app is, and keeps
it per store, encrypted with a key from ``MASA["TOKEN_ENCRYPTION_KEY"]`` (else derived from
``SECRET_KEY``). The webhooks and their subscription queries come with the manifest, so Saleor
creates them on install and removes them on uninstall; ``APP_DELETED`` (or a token Saleor no
longer accepts) marks the store uninstalled.
"""
from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

from .. import __version__, conf
from ..models import SaleorApp
from .client import SaleorClient, SaleorError
from .webhooks import planned_webhooks

log = logging.getLogger(__name__)

APP_ID = "io.masa.journeys"
PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_CHECKOUTS", "MANAGE_DISCOUNTS", "MANAGE_GIFT_CARD",
               "MANAGE_CHANNELS"]
REQUIRED_SALEOR_VERSION = ">=3.20"
APP_WEBHOOK = {
    "name": "Masa app",
    "query": "subscription { event { __typename issuedAt ... on AppDeleted { app { id } } } }",
}


class InstallRefused(Exception):
    """The register request cannot be accepted: ``status`` and ``code`` for the answer."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _fernet() -> Fernet:
    key = conf.get("TOKEN_ENCRYPTION_KEY")
    if not key:
        digest = hashlib.sha256(f"masa-saleor-token:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def decrypt(value: str) -> str:
    try:
        return _fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def manifest(base_url: str) -> dict:
    """The App manifest, its URLs absolute under ``base_url`` (the site's public address)."""
    base = base_url.rstrip("/")
    webhooks = [{"name": w["name"], "asyncEvents": w["events"], "query": w["query"], "targetUrl": w["target_url"],
                 "isActive": True} for w in planned_webhooks(f"{base}/masa/webhooks/saleor/")]
    webhooks.append({**APP_WEBHOOK, "asyncEvents": ["APP_DELETED"], "targetUrl": f"{base}/masa/webhooks/saleor/",
                     "isActive": True})
    timeline = f"{base}/admin/masa/customers/from-saleor/"
    return {
        "id": APP_ID,
        "version": __version__,
        "name": "Masa journeys",
        "author": "Masa",
        "about": "Post-purchase journeys: thank-yous, refill reminders, cross-sell and loyalty, run on your store's "
                 "events and shown in your Wagtail admin.",
        "permissions": list(PERMISSIONS),
        "appUrl": f"{base}/admin/masa/saleor/",
        "tokenTargetUrl": f"{base}/masa/saleor/register/",
        "homepageUrl": f"{base}/admin/",
        "supportUrl": f"{base}/admin/masa/saleor/",
        "dataPrivacyUrl": f"{base}/admin/masa/saleor/",
        "requiredSaleorVersion": REQUIRED_SALEOR_VERSION,
        "webhooks": webhooks,
        "extensions": [
            {"label": "Journeys timeline", "mount": "CUSTOMER_DETAILS_MORE_ACTIONS", "target": "NEW_TAB",
             "permissions": ["MANAGE_USERS"], "url": timeline},
            {"label": "Journeys timeline of the customer", "mount": "ORDER_DETAILS_MORE_ACTIONS", "target": "NEW_TAB",
             "permissions": ["MANAGE_ORDERS"], "url": timeline},
        ],
    }


def allowed_api_url(api_url: str) -> bool:
    wanted = (api_url or "").rstrip("/")
    allowed = {store.get("api_url", "").rstrip("/") for store in conf.get("SALEOR_STORES")}
    allowed |= {url.rstrip("/") for url in conf.get("SALEOR_APP_API_URLS") or []}
    return bool(wanted) and wanted in allowed


def register(token: str, domain: str, api_url: str, transport=None) -> SaleorApp:
    """Accept the token Saleor sent on install, once it is checked against that store's API."""
    if not token or not isinstance(token, str):
        raise InstallRefused(400, "missing_token", "the body has no auth_token")
    if not allowed_api_url(api_url):
        raise InstallRefused(403, "store_not_allowed",
                             f"{api_url[:200]!r} is not an allowed store (MASA['SALEOR_APP_API_URLS'])")
    try:
        with SaleorClient(api_url, token, transport=transport, retries=1) as client:
            app = client.execute("app_webhooks").get("app")
    except SaleorError as error:
        raise InstallRefused(400, "token_not_accepted", f"the store did not accept the token: {error}") from error
    if not app or not app.get("id"):
        raise InstallRefused(400, "token_not_accepted", "the token is not an app token of that store")
    now = timezone.now()
    installed, _ = SaleorApp.objects.update_or_create(api_url=api_url.rstrip("/") + "/", defaults={
        "domain": domain or "", "app_id": app["id"], "token_encrypted": encrypt(token),
        "status": SaleorApp.Status.INSTALLED, "installed_at": now, "status_changed_at": now, "last_error": ""})
    log.info("Masa installed as a Saleor app in %s (%s)", installed.domain, installed.app_id)
    return installed


def uninstalled(domain: str, app_id: str = "") -> int:
    """``APP_DELETED``: forget the store's token; returns how many stores it marked."""
    rows = SaleorApp.objects.filter(domain__iexact=domain).exclude(status=SaleorApp.Status.UNINSTALLED)
    if app_id:
        rows = rows.filter(app_id=app_id)
    return rows.update(status=SaleorApp.Status.UNINSTALLED, token_encrypted="", status_changed_at=timezone.now())


def token_rejected(api_url: str, error: str) -> None:
    """The store answered 401 to the app's token: it was revoked (shown under Journeys)."""
    SaleorApp.objects.filter(api_url=api_url.rstrip("/") + "/", status=SaleorApp.Status.INSTALLED).update(
        status=SaleorApp.Status.TOKEN_REJECTED, status_changed_at=timezone.now(), last_error=error[:500])


def installed_stores() -> list[SaleorApp]:
    return list(SaleorApp.objects.filter(status=SaleorApp.Status.INSTALLED))


def credentials(domain: str | None = None) -> tuple[str, str] | None:
    """(api_url, token) for the store with this domain, else the first store that has a token:
    a store installed from its dashboard first, then one of ``MASA["SALEOR_STORES"]``."""
    for app in installed_stores():
        if domain is None or app.domain.lower() == domain.lower():
            token = decrypt(app.token_encrypted)
            if token:
                return app.api_url, token
    for store in conf.get("SALEOR_STORES"):
        if store.get("app_token") and store.get("api_url") and (domain is None or store.get("domain", "").lower()
                                                                 == domain.lower()):
            return store["api_url"], store["app_token"]
    return None
