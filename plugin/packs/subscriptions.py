"""A shop's subscriptions to an agency's signed pack releases (``models.PackSubscription``).

A check fetches the release and its signature from the agency's https:// address through the
channels' address guard (``channels.safety``: public addresses only, checked again at connect
time; every redirect is checked the same way), reads at most ``MAX_RELEASE_BYTES`` within
``DEADLINE_SECONDS``, verifies the signature with the key pinned when subscribing (``signing``)
**before** the text is decoded or parsed, then loads the pack (``loader.load_pack``) and compares
it with the installed one. It refuses: a bad or missing signature (altered, or signed with
another key — a new key is a new subscription, made by the shop), another pack than the one
subscribed to, an older version than the installed one (a downgrade), the installed version's
number with other content. A newer version is stored verified on the subscription and offered,
never applied: the shop applies it through the upgrade preview.

``check_due`` checks each subscription once a day (Celery beat's ``masa.check_pack_subscriptions``,
``masa_worker`` and ``masa_sweep`` call it); the admin's "Check now" calls ``check``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
import yaml
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .. import __version__
from ..channels.safety import UnsafeDestination, check_url, guarded_transport
from ..models import PackSubscription, RulePack
from . import signing
from .loader import MAX_PACK_BYTES, Pack, PackError, load_pack, version_key

log = logging.getLogger(__name__)

MAX_RELEASE_BYTES = MAX_PACK_BYTES      # 1 MB: the most a pack may be
MAX_SIGNATURE_BYTES = 4096
DEADLINE_SECONDS = 30.0                 # for the whole check (release and signature), however slowly it trickles
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_REDIRECTS = 3
CHECK_EVERY = timedelta(days=1)
LOOK_EVERY_SECONDS = 600                # how often masa_worker / masa_sweep look for a subscription due
CHECKED_AT_ONCE = 20
# The network edge: tests put an ``httpx.MockTransport`` here; None is the guarded real network.
_transport: httpx.BaseTransport | None = None

Status = PackSubscription.Status

# problem → (what happened, what to do), in the shop's words; the details say more, in English.
PROBLEMS = {
    "bad_signature": (
        gettext_lazy("The new release is not signed with the agency's key you subscribed with."),
        gettext_lazy("Nothing was taken. It was changed on the way, or signed with another key: ask the agency. "
                     "If they changed their key, unsubscribe and subscribe again with the new key they give you.")),
    "no_signature": (
        gettext_lazy("The release has no signature beside it."),
        gettext_lazy("Nothing was taken. Ask the agency to publish the signature file with the release.")),
    "other_pack": (
        gettext_lazy("The address now holds another pack than the one you subscribed to."),
        gettext_lazy("Nothing was taken. Ask the agency which address is the right one.")),
    "downgrade": (
        gettext_lazy("The address offers an older version than the one you have."),
        gettext_lazy("Nothing was taken: going back to an older version is refused. Ask the agency.")),
    "changed_release": (
        gettext_lazy("The release has the same version number as yours but different content."),
        gettext_lazy("Nothing was taken. The agency must give a changed release a new version number.")),
    "not_a_pack": (
        gettext_lazy("The signed release is not a pack Masa can use."),
        gettext_lazy("Nothing was taken. Pass the details on to the agency.")),
    "too_large": (
        gettext_lazy("The release is larger than a pack may be (1 MB)."),
        gettext_lazy("Nothing was taken. Ask the agency.")),
    "not_https": (
        gettext_lazy("The address is not a secure (https://) address."),
        gettext_lazy("Masa fetches packs only over https://. Unsubscribe and subscribe again with a secure address.")),
    "unsafe_address": (
        gettext_lazy("The address points inside your own network."),
        gettext_lazy("Masa fetches packs only from public addresses. Ask the agency for a public address.")),
    "too_slow": (
        gettext_lazy("The address answered too slowly."),
        gettext_lazy("Masa tries again tomorrow, or check now. If it lasts, ask the agency.")),
    "unreachable": (
        gettext_lazy("The address could not be reached."),
        gettext_lazy("Masa tries again tomorrow, or check now. If it lasts, ask the agency whether the address "
                     "changed.")),
}


class CheckFailed(Exception):
    """A check that took nothing: ``code`` (a key of PROBLEMS) and what it met, in a sentence."""

    status = Status.REFUSED

    def __init__(self, code: str, details: str):
        super().__init__(details)
        self.code, self.details = code, details[:1000]


class Refused(CheckFailed):
    status = Status.REFUSED


class Unreachable(CheckFailed):
    status = Status.UNREACHABLE


@dataclass
class Release:
    pack: Pack
    source: str


def signature_address(url: str, signature_url: str = "") -> str:
    return signature_url or f"{url}.sig"


def address_problem(url: str) -> CheckFailed | None:
    """Why Masa may not fetch from ``url`` (not https://, credentials, a private or local address)."""
    if urlsplit(url or "").scheme != "https":
        return Refused("not_https", f"{url[:200]!r} is not an https:// address")
    try:
        check_url(url, resolve=False)
    except UnsafeDestination as error:
        return Refused("unsafe_address", str(error))
    return None


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, transport=_transport or guarded_transport(), follow_redirects=False,
                        headers={"User-Agent": f"Masa/{__version__} (pack subscription)"})


def download(url: str, limit: int, deadline: float, *, what: str = "release") -> bytes:
    """The body at ``url`` (following at most MAX_REDIRECTS redirects, each address checked),
    stopped as soon as it passes ``limit`` bytes or the ``deadline`` (``time.monotonic``)."""
    with _client() as http:
        for _hop in range(MAX_REDIRECTS + 1):
            problem = address_problem(url)
            if problem:
                raise problem
            try:
                with http.stream("GET", url) as response:
                    if response.is_redirect:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    if response.status_code == 404 and what == "signature":
                        raise Refused("no_signature", f"{url}: 404 Not Found")
                    if response.status_code != 200:
                        raise Unreachable("unreachable", f"{url}: the server answered {response.status_code} "
                                                         f"{response.reason_phrase}")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise Refused("too_large", f"{url}: the {what} is {int(declared)} bytes; at most {limit}")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise Refused("too_large", f"{url}: the {what} is larger than {limit} bytes")
                        if time.monotonic() > deadline:
                            raise Unreachable("too_slow", f"{url}: not received within {DEADLINE_SECONDS:g} seconds")
                    return bytes(body)
            except UnsafeDestination as error:      # the guard, at connect time (a name that resolves inside)
                raise Refused("unsafe_address", f"{url}: {error}") from error
            except httpx.TimeoutException as error:
                raise Unreachable("too_slow", f"{url}: {error.__class__.__name__}") from error
            except httpx.HTTPError as error:
                raise Unreachable("unreachable", f"{url}: {error.__class__.__name__}: {str(error)[:200]}") from error
    raise Unreachable("unreachable", f"more than {MAX_REDIRECTS} redirects")


def fetch_release(url: str, signature_url: str, public_key: str) -> Release:
    """The release at ``url``, its signature verified with ``public_key`` before it is read."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    data = download(url, MAX_RELEASE_BYTES, deadline)
    signature = download(signature_address(url, signature_url), MAX_SIGNATURE_BYTES, deadline, what="signature")
    try:
        signing.verify(data, signature, public_key)
    except signing.SigningError as error:
        raise Refused("bad_signature", str(error)) from error
    # Only now is the release read.
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused("not_a_pack", "the signed release is not UTF-8 text") from error
    try:
        pack = load_pack(source, url)
    except PackError as error:
        raise Refused("not_a_pack", "the signed release is not a valid pack: " + "; ".join(error.problems[:5])) \
            from error
    return Release(pack, source)


def _same_content(installed: RulePack, release: Release) -> bool:
    if installed.source.replace("\r\n", "\n") == release.source.replace("\r\n", "\n"):
        return True
    try:
        return yaml.safe_load(installed.source) == release.pack.document
    except yaml.YAMLError:
        return False


def judge(release: Release, pack_id: str = "") -> str:
    """UP_TO_DATE or AVAILABLE for a verified release, or Refused (another pack, a downgrade,
    the installed version's number with other content)."""
    pack = release.pack
    if pack_id and pack.pack_id != pack_id:
        raise Refused("other_pack", f"the address holds the pack {pack.pack_id!r}, not {pack_id!r}")
    installed = RulePack.objects.filter(pack_id=pack.pack_id).first()
    if installed is None:
        return Status.AVAILABLE
    offered, have = version_key(pack.version), version_key(installed.version)
    if offered > have:
        return Status.AVAILABLE
    if offered < have:
        raise Refused("downgrade", f"the address offers {pack.version}; {installed.version} is installed")
    if not _same_content(installed, release):
        raise Refused("changed_release", f"the release is numbered {pack.version}, as installed, with other content")
    return Status.UP_TO_DATE


def check(subscription: PackSubscription, now: datetime | None = None) -> str:
    """Check one subscription now and store the outcome on it; returns its status."""
    try:
        release = fetch_release(subscription.url, subscription.signature_url, subscription.public_key)
        # A release signed with the pinned key names the pack from the first check on (refused or not).
        subscription.pack_id = subscription.pack_id or release.pack.pack_id
        status = judge(release, subscription.pack_id)
    except CheckFailed as failure:
        subscription.status, subscription.problem, subscription.last_error = failure.status, failure.code, \
            failure.details
    except Exception as error:  # noqa: BLE001 - a check never stops the worker; what it met is shown
        log.exception("Checking pack subscription %s failed", subscription.pk)
        subscription.status, subscription.problem = Status.UNREACHABLE, "unreachable"
        subscription.last_error = f"{error.__class__.__name__}: {str(error)[:300]}"
    else:
        subscription.status, subscription.problem, subscription.last_error = status, "", ""
        if status == Status.AVAILABLE:
            subscription.available_version, subscription.available_source = release.pack.version, release.source
        else:
            subscription.available_version = subscription.available_source = ""
    subscription.last_checked_at = now or timezone.now()
    if subscription.pk:
        subscription.save(update_fields=["pack_id", "status", "problem", "last_error", "available_version",
                                         "available_source", "last_checked_at"])
    return subscription.status


def caught_up(subscription: PackSubscription) -> bool:
    """The installed pack reached the offered version (the shop applied it): mark the subscription
    up to date without asking the network. True when it changed."""
    if subscription.status != Status.AVAILABLE or not subscription.pack_id:
        return False
    installed = RulePack.objects.filter(pack_id=subscription.pack_id).only("version").first()
    if installed is None or version_key(installed.version) < version_key(subscription.available_version):
        return False
    subscription.status, subscription.available_version, subscription.available_source = Status.UP_TO_DATE, "", ""
    subscription.save(update_fields=["status", "available_version", "available_source"])
    return True


def check_due(now: datetime | None = None, limit: int = CHECKED_AT_ONCE) -> int:
    """Check the subscriptions not checked for a day (each claimed first, so two workers never
    check the same one); returns how many were checked."""
    now = now or timezone.now()
    due = (PackSubscription.objects.filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - CHECK_EVERY))
           .order_by(F("last_checked_at").asc(nulls_first=True), "pk")[:limit])
    checked = 0
    for subscription in due:
        claimed = PackSubscription.objects.filter(pk=subscription.pk, last_checked_at=subscription.last_checked_at) \
            .update(last_checked_at=now)
        if claimed:
            check(subscription, now)
            checked += 1
    return checked


_next_look = 0.0


def check_due_now_and_then(now: datetime | None = None) -> int:
    """``check_due``, looking at most every LOOK_EVERY_SECONDS (masa_worker runs rounds every second)."""
    global _next_look
    if time.monotonic() < _next_look:
        return 0
    _next_look = time.monotonic() + LOOK_EVERY_SECONDS
    return check_due(now)
