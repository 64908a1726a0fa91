"""Masa as a Saleor App: the manifest, the install (token registration), uninstall, and which
store's token a call uses.

Install: the shop admin pastes ``https://<this site>/masa/saleor/manifest/`` into the Saleor
dashboard; Saleor shows the permissions and, on *Install*, POSTs ``{"auth_token": …}`` with
``Saleor-Api-Url`` and ``Saleor-Domain`` headers to the manifest's ``tokenTargetUrl``. Masa takes
the token only from a store the site allows (``MASA["SALEOR_STORES"]`` or
``MASA["SALEOR_APP_API_URLS"]``) and only once that store's API says the token is Masa's (the app's
``identifier`` is the manifest's ``APP_ID``); the headers are written by whoever calls, so the
store's domain is the one configured for that API URL, else the one the store answers for itself.
An installed app is replaced by another app id only once the store no longer accepts the old
token. Tokens are kept per store, encrypted with the first key of ``MASA["TOKEN_ENCRYPTION_KEYS"]``
(every key of it, ``MASA["TOKEN_ENCRYPTION_KEY"]`` and keys derived from ``SECRET_KEY`` and
``SECRET_KEY_FALLBACKS`` decrypt); a token no key decrypts makes the store "needs reinstall"
(``token_of``). The webhooks and their subscription queries come with the manifest, so Saleor
creates them on install and removes them on uninstall; ``APP_DELETED`` (or a token Saleor no
longer accepts) marks the store uninstalled.
"""
from __future__ import annotations

import base64
import hashlib
import logging
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .. import __version__, conf
from ..models import SaleorApp
from ..stores import store_key
from .client import SaleorClient, SaleorError, SaleorUnavailable
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


class NeedsReinstall(Exception):
    """The store's token cannot be used: none is stored, or no key of
    ``MASA["TOKEN_ENCRYPTION_KEYS"]`` decrypts it (the key changed). Installing Masa again from
    the Saleor dashboard (or putting the old key back in the list) is the remedy."""

    def __init__(self, app: SaleorApp, reason: str):
        super().__init__(f"{app.domain or app.api_url}: {reason}")
        self.app, self.reason = app, reason


def _derived_key(secret) -> bytes:
    secret = secret.decode() if isinstance(secret, bytes) else str(secret)
    return base64.urlsafe_b64encode(hashlib.sha256(f"masa-saleor-token:{secret}".encode()).digest())


def token_keys() -> list[bytes]:
    """The Fernet keys for stored tokens, the one that encrypts first: ``TOKEN_ENCRYPTION_KEYS``
    in order, then ``TOKEN_ENCRYPTION_KEY``, then keys derived from ``SECRET_KEY`` and each of
    ``SECRET_KEY_FALLBACKS`` (they encrypt only when no key is set; they always decrypt, so tokens
    stored before a key was set keep working)."""
    explicit = conf.get("TOKEN_ENCRYPTION_KEYS") or []
    if isinstance(explicit, (str, bytes)):
        explicit = [explicit]
    single = conf.get("TOKEN_ENCRYPTION_KEY")
    derived = [_derived_key(settings.SECRET_KEY),
               *(_derived_key(key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", None) or [])]
    keys = [key.encode() if isinstance(key, str) else key for key in [*explicit, *([single] if single else [])]]
    return list(dict.fromkeys([*keys, *derived]))


def token_key_errors() -> list[str]:
    """What is wrong with the configured token keys (each must be a Fernet key)."""
    explicit = conf.get("TOKEN_ENCRYPTION_KEYS") or []
    if isinstance(explicit, (str, bytes)):
        explicit = [explicit]
    single = conf.get("TOKEN_ENCRYPTION_KEY")
    problems = []
    for position, key in enumerate([*explicit, *([single] if single else [])]):
        try:
            Fernet(key)
        except (TypeError, ValueError):
            name = f"TOKEN_ENCRYPTION_KEYS[{position}]" if position < len(explicit) else "TOKEN_ENCRYPTION_KEY"
            problems.append(name)
    return problems


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in token_keys()])
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"MASA['TOKEN_ENCRYPTION_KEYS'] holds a key that is not a Fernet key "
                                   f"(Fernet.generate_key()): {error}") from error


def encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def decrypt(value: str) -> str:
    """The token, or "" when no key decrypts it (``token_of`` says why instead)."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def token_of(app: SaleorApp) -> str:
    """The store's token; raises ``NeedsReinstall`` when there is none or no key decrypts it."""
    if not app.token_encrypted:
        raise NeedsReinstall(app, "no token is stored")
    try:
        return _fernet().decrypt(app.token_encrypted.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise NeedsReinstall(app, "no key of MASA['TOKEN_ENCRYPTION_KEYS'] decrypts its token") from error


def needs_reinstall(app: SaleorApp) -> bool:
    """An installed store whose token cannot be used (shown on the Saleor stores page)."""
    if app.status != SaleorApp.Status.INSTALLED:
        return False
    try:
        token_of(app)
    except NeedsReinstall:
        return True
    return False


def reencrypt_tokens() -> int:
    """After a new key is put first in ``TOKEN_ENCRYPTION_KEYS``: encrypt every stored token with
    it (the old keys can then leave the list); returns how many. Tokens no key decrypts stay."""
    fernet, done = _fernet(), 0
    for app in SaleorApp.objects.exclude(token_encrypted=""):
        try:
            rotated = fernet.rotate(app.token_encrypted.encode()).decode()
        except InvalidToken:
            continue
        done += SaleorApp.objects.filter(pk=app.pk, token_encrypted=app.token_encrypted).update(
            token_encrypted=rotated)
    return done


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


def _identity(api_url: str, token: str, transport=None) -> dict:
    """What the store answers for this token: ``{"app": {"id", "identifier"}, "shop": …}``."""
    with SaleorClient(api_url, token, transport=transport, retries=1) as client:
        return client.execute("app_identity")


def _store_domain(api_url: str, answer: dict) -> str:
    """The domain the store's webhooks will carry: the one configured for this API URL, else the
    one the store answers for itself, else the API URL's host (never a request header)."""
    wanted = api_url.rstrip("/")
    for store in conf.get("SALEOR_STORES"):
        if store.get("api_url", "").rstrip("/") == wanted and store.get("domain"):
            return store["domain"]
    host = (((answer.get("shop") or {}).get("domain") or {}).get("host") or "").strip()
    return host[:255] or urlsplit(api_url).netloc


def _old_token_still_accepted(installed: SaleorApp, transport=None) -> bool:
    """Whether the store still answers the installed app for its stored token (then another app
    id may not take its place); a token no key decrypts, or one the store refuses, is not."""
    try:
        old_token = token_of(installed)
    except NeedsReinstall:
        return False
    try:
        app = _identity(installed.api_url, old_token, transport).get("app") or {}
    except SaleorUnavailable as error:
        raise InstallRefused(503, "store_unavailable", "the store could not be asked whether the installed app "
                                                       f"is still there; try again: {error}") from error
    except SaleorError:
        return False
    return app.get("id") == installed.app_id


def register(token: str, api_url: str, transport=None) -> SaleorApp:
    """Accept the token Saleor sent on install, once that store's API says it is Masa's.

    ``api_url`` (the ``Saleor-Api-Url`` header) is only a claim: it must be an allowed store, and
    only what that store answers for the token counts."""
    if not token or not isinstance(token, str):
        raise InstallRefused(400, "missing_token", "the body has no auth_token")
    if not allowed_api_url(api_url):
        raise InstallRefused(403, "store_not_allowed",
                             f"{(api_url or '')[:200]!r} is not an allowed store (MASA['SALEOR_APP_API_URLS'])")
    try:
        answer = _identity(api_url, token, transport)
    except SaleorError as error:
        raise InstallRefused(400, "token_not_accepted", f"the store did not accept the token: {error}") from error
    app = answer.get("app") or {}
    if not app.get("id"):
        raise InstallRefused(400, "token_not_accepted", "the token is not an app token of that store")
    if app.get("identifier") != APP_ID:
        raise InstallRefused(403, "not_this_app", f"the token belongs to another app of that store, not to {APP_ID}")
    api_url = api_url.rstrip("/") + "/"
    domain = _store_domain(api_url, answer)
    configured_elsewhere = any(store_key(store.get("domain")) == store_key(domain)
                               and store.get("api_url", "").rstrip("/") != api_url.rstrip("/")
                               for store in conf.get("SALEOR_STORES"))
    if configured_elsewhere or SaleorApp.objects.filter(domain__iexact=domain, status=SaleorApp.Status.INSTALLED).exclude(
            api_url=api_url).exists():
        raise InstallRefused(409, "domain_taken", f"another store of this site already has the domain {domain!r}")
    installed = SaleorApp.objects.filter(api_url=api_url, status=SaleorApp.Status.INSTALLED).first()
    if installed and installed.app_id != app["id"] and _old_token_still_accepted(installed, transport):
        raise InstallRefused(409, "already_installed",
                             "Masa is already installed in that store as another app, and the store still accepts "
                             "its token: remove that app in the Saleor dashboard first")
    now = timezone.now()
    installed, _ = SaleorApp.objects.update_or_create(api_url=api_url, defaults={
        "domain": domain, "app_id": app["id"], "token_encrypted": encrypt(token),
        "status": SaleorApp.Status.INSTALLED, "installed_at": now, "status_changed_at": now, "last_error": ""})
    log.info("Masa installed as a Saleor app in %s (%s)", installed.domain, installed.app_id)
    return installed


def uninstalled(domain: str, app_id: str) -> int:
    """``APP_DELETED`` of Masa's own app: forget the store's token; returns how many stores it
    marked. Every app of a store gets deliveries signed with the store's one key, and another app
    can point its own APP_DELETED at Masa's URL: only the app id Masa was installed as counts, and
    a delivery that names none uninstalls nothing."""
    if not app_id:
        return 0
    rows = SaleorApp.objects.filter(domain__iexact=domain, app_id=app_id).exclude(status=SaleorApp.Status.UNINSTALLED)
    return rows.update(status=SaleorApp.Status.UNINSTALLED, token_encrypted="", status_changed_at=timezone.now())


def token_rejected(api_url: str, error: str) -> None:
    """The store answered 401 to the app's token: it was revoked (shown under Journeys)."""
    SaleorApp.objects.filter(api_url=api_url.rstrip("/") + "/", status=SaleorApp.Status.INSTALLED).update(
        status=SaleorApp.Status.TOKEN_REJECTED, status_changed_at=timezone.now(), last_error=error[:500])


def installed_stores() -> list[SaleorApp]:
    return list(SaleorApp.objects.filter(status=SaleorApp.Status.INSTALLED))


def credentials(domain: str | None = None) -> tuple[str, str] | None:
    """(api_url, token) for the store with this domain (a store installed from its dashboard
    first, then one of ``MASA["SALEOR_STORES"]``); None when that store has no token — never
    another store's. ``domain`` None (a customer of the site's own in-process store, a call not
    about a customer): the one store that has a token, None when several do."""
    found = []
    for app in installed_stores():
        if domain is None or store_key(app.domain) == store_key(domain):
            token = decrypt(app.token_encrypted)
            if token:
                found.append((app.api_url, token, store_key(app.domain)))
    for store in conf.get("SALEOR_STORES"):
        if store.get("app_token") and store.get("api_url") and (
                domain is None or store_key(store.get("domain")) == store_key(domain)):
            found.append((store["api_url"], store["app_token"], store_key(store.get("domain"))))
    if domain is None and len({store for _, _, store in found}) != 1:
        return None
    return found[0][:2] if found else None
