"""Signed links that turn what a recipient does with a message into events: an open pixel, click
redirects, a one-click unsubscribe, survey answers and public-list sign-ups; and the message's
own "view in the browser" page.

A token names the delivery by an opaque id (a hash of its idempotency key, so its readable part
shows no customer or order id) and, for a click, the target URL; it is signed with the site's
SECRET_KEY, so it cannot be forged, altered, or pointed at another customer's delivery, and it
expires after ``MASA["TRACKING_LINK_MAX_AGE"]``. Only links the template's author wrote (and the
URLs Masa itself puts in, such as a recommendation) become click redirects: a URL that arrives in
a merge value (a customer's name) is left as it is, so no one can make the shop's domain redirect
to a host of their choosing. Links need ``MASA["PUBLIC_URL"]`` (the site's address as recipients
reach it); without it messages go out untracked.
"""
from __future__ import annotations

import hashlib
import html
import re
from typing import Iterable

from django.core import signing
from django.urls import reverse

from . import conf

SALT = "masa.tracking"
_LINK = re.compile(r'(<a\b[^>]*?\bhref=")(https?://[^"]+)(")', re.IGNORECASE)
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_AUTHORED_URL = re.compile(r"https?://[^\s<>\"'{]*(\{)?")


def public_id(delivery_key: str) -> str:
    """The id a tracking token carries for a delivery (``Delivery.public_id``)."""
    return hashlib.sha256(f"masa-delivery:{delivery_key}".encode()).hexdigest()[:32]


def token(delivery_key: str, kind: str, url: str = "") -> str:
    return signing.dumps({"h": public_id(delivery_key), "k": kind, "u": url}, salt=SALT, compress=True)


def read(value: str, kind: str) -> dict:
    """The token's payload; raises ``signing.BadSignature`` if forged, altered, expired
    (``signing.SignatureExpired``) or of another kind."""
    payload = signing.loads(value, salt=SALT, max_age=conf.seconds("TRACKING_LINK_MAX_AGE"))
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise signing.BadSignature("token of another kind")
    return payload


class AuthoredLinks:
    """The links a template's author wrote: whole URLs, and URL beginnings that a merge tag
    completes (``https://shop.example/p/{{ product.slug }}``, with at least the host written).
    ``trusted`` adds URLs Masa made itself (a recommendation's product page)."""

    def __init__(self, source: str = "", trusted: Iterable[str] = ()):
        self.exact, self.prefixes = set(), []
        for match in _AUTHORED_URL.finditer(source or ""):
            text = match.group(0).rstrip("{")
            if match.group(1):
                if "/" in text.split("://", 1)[1]:
                    self.prefixes.append(text)
            else:
                whole = _TEXT_URL.match(text)
                self.exact.add(whole.group(0) if whole else text)
        for url in trusted:
            if url:
                self.exact |= {url, html.escape(url)}

    def __contains__(self, url: str) -> bool:
        return url in self.exact or any(url.startswith(prefix) for prefix in self.prefixes)


def _url(name: str, value: str) -> str:
    return conf.get("PUBLIC_URL").rstrip("/") + reverse(f"masa:{name}", args=[value])


def unsubscribe_url(delivery_key: str) -> str:
    return _url("unsubscribe", token(delivery_key, "unsubscribe")) if conf.get("PUBLIC_URL") else ""


def view_url(delivery_key: str) -> str:
    return _url("view", token(delivery_key, "view")) if conf.get("PUBLIC_URL") else ""


def survey_url(delivery_key: str) -> str:
    """Base of the answer links: a template appends the answer (``{{ survey_url }}satisfied``)."""
    return _url("answer", token(delivery_key, "answer")) + "?answer=" if conf.get("PUBLIC_URL") else ""


def opt_in_url(delivery_key: str) -> str:
    """A link that asks the recipient to agree to marketing (confirmed with a button press)."""
    return _url("opt-in", token(delivery_key, "optin")) if conf.get("PUBLIC_URL") else ""


def join_list_url(delivery_key: str) -> str:
    """Base of public-list sign-up links: a template appends the list (``{{ join_list_url }}gardening``)."""
    if not conf.get("PUBLIC_URL"):
        return ""
    path = reverse("masa:join-list", args=[token(delivery_key, "list"), "-"])
    return conf.get("PUBLIC_URL").rstrip("/") + path[:-1]


def message_links(delivery_key: str) -> dict:
    """The merge tags of Masa's own links for one message."""
    return {"unsubscribe_url": unsubscribe_url(delivery_key), "view_url": view_url(delivery_key),
            "survey_url": survey_url(delivery_key), "join_list_url": join_list_url(delivery_key),
            "opt_in_url": opt_in_url(delivery_key)}


def _own_link(url: str) -> bool:
    """Masa's own links (unsubscribe, answers, lists, view) are not wrapped in click redirects."""
    own = conf.get("PUBLIC_URL").rstrip("/") + reverse("masa:view", args=["-"])[:-len("v/-")]
    return url.startswith(own)


def decorate_html(content: str, delivery_key: str, authored: AuthoredLinks) -> str:
    """Route the author's http(s) links through click redirects and add the open pixel."""
    if not content or not conf.get("PUBLIC_URL"):
        return content

    def through_redirect(match):
        if _own_link(match.group(2)) or match.group(2) not in authored:
            return match.group(0)
        target = html.unescape(match.group(2))
        return match.group(1) + _url("clicked", token(delivery_key, "click", target)) + match.group(3)

    pixel = f'<img src="{_url("opened", token(delivery_key, "open"))}" width="1" height="1" alt="">'
    tracked = _LINK.sub(through_redirect, content)
    return re.sub(r"</body>", pixel + "</body>", tracked, count=1, flags=re.I) if "</body>" in tracked.lower() \
        else tracked + pixel


def decorate_text(text: str, delivery_key: str, authored: AuthoredLinks) -> str:
    """Route the author's http(s) URLs of a plain-text message (an SMS) through click redirects;
    Masa's own links (unsubscribe) and URLs from merge values stay as they are."""
    public = conf.get("PUBLIC_URL")
    if not text or not public:
        return text

    def through_redirect(match):
        url = match.group(0)
        return url if _own_link(url) or url not in authored else _url("clicked", token(delivery_key, "click", url))

    return _TEXT_URL.sub(through_redirect, text)


def list_unsubscribe_headers(delivery_key: str) -> dict:
    """RFC 2369 / RFC 8058 headers for one-click unsubscribe from mail clients."""
    url = unsubscribe_url(delivery_key)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if url else {}
