"""Where a channel may send: public addresses only, a backend from the allowed list only.

A shop editor configures channels; what they type must not make the server reach inside its
own network (SSRF) or write files. URLs may not name loopback, link-local, private, reserved or
multicast addresses unless their host is in ``MASA["ALLOWED_CHANNEL_HOSTS"]``. That is checked
when a channel is saved (``channel_problems``) and again when a connection is made
(``GuardedBackend``): the host is resolved once, every address is checked, and the connection
goes to the checked address, so a DNS answer that changes in between (DNS rebinding) cannot
point it elsewhere. Email channels choose a backend only from ``MASA["EMAIL_BACKENDS"]`` and
pass it only known option names.
"""
from __future__ import annotations

import ipaddress
import pkgutil
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from .. import conf

EMAIL_OPTIONS = {
    "host", "port", "username", "password", "use_tls", "use_ssl", "timeout",
    "api_key", "secret_key", "server_token", "sender_domain", "api_secret", "client_id", "client_secret",
}


class UnsafeDestination(Exception):
    """The channel would reach an address or backend it may not."""


def _allowed_host(host: str) -> bool:
    return host.lower().strip("[]") in {h.lower().strip("[]") for h in conf.get("ALLOWED_CHANNEL_HOSTS") or []}


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"cannot resolve {host!r}: {error}") from error


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_host(host: str, port: int, *, resolve: bool) -> list[str]:
    """The addresses to connect to for ``host``; raises UnsafeDestination for a refused one.

    With ``resolve=False`` only a literal address (or an obvious local name) is checked, and [] is
    returned for a name; with ``resolve=True`` the name is resolved and every address checked
    (an unresolvable name raises OSError).
    """
    if not host:
        raise UnsafeDestination("the URL has no host")
    if _allowed_host(host):
        return _resolve(host, port) if resolve else []
    literal = _literal(host)
    if literal is not None:
        if not _public(literal):
            raise UnsafeDestination(f"{host} is not a public address (allow it in MASA['ALLOWED_CHANNEL_HOSTS'])")
        return [literal]
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise UnsafeDestination(f"{host} is this machine (allow it in MASA['ALLOWED_CHANNEL_HOSTS'])")
    if not resolve:
        return []
    addresses = _resolve(host, port)
    refused = [a for a in addresses if not _public(a)]
    if refused:
        raise UnsafeDestination(f"{host} resolves to {refused[0]}, not a public address "
                                f"(allow it in MASA['ALLOWED_CHANNEL_HOSTS'])")
    return addresses


def check_url(url: str, *, resolve: bool) -> None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination(f"{url[:100]!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise UnsafeDestination("credentials in the URL are not allowed; use the channel's secrets")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeDestination(f"bad port in {url[:100]!r}") from error
    check_host(parts.hostname or "", port, resolve=resolve)


@lru_cache(maxsize=1)
def _anymail_backends() -> tuple[str, ...]:
    try:
        import anymail.backends
    except ImportError:
        return ()
    return tuple(f"anymail.backends.{m.name}.EmailBackend" for m in pkgutil.iter_modules(anymail.backends.__path__)
                 if not m.name.startswith("base"))


def allowed_email_backends() -> list[str]:
    configured = conf.get("EMAIL_BACKENDS")
    if configured is not None:
        return list(configured)
    return [settings.EMAIL_BACKEND, *_anymail_backends()]


def check_email(config: dict, secrets: dict, *, resolve: bool) -> None:
    backend = (config or {}).get("backend") or ""
    if backend and backend not in allowed_email_backends():
        raise UnsafeDestination(f"email backend {backend[:100]!r} is not one of MASA['EMAIL_BACKENDS'] "
                                f"({', '.join(allowed_email_backends())})")
    unknown = sorted(set(secrets or {}) - EMAIL_OPTIONS)
    if unknown:
        raise UnsafeDestination(f"email option(s) {', '.join(unknown)} are not allowed "
                                f"(allowed: {', '.join(sorted(EMAIL_OPTIONS))})")
    host = (secrets or {}).get("host")
    if host:
        check_host(str(host), int((secrets or {}).get("port") or 25), resolve=resolve)


def check_channel(kind: str, config: dict, secrets: dict, *, resolve: bool, url_fields: tuple = ()) -> None:
    """Raise UnsafeDestination if this channel may not be used as configured (``url_fields``: the
    config fields its backend calls)."""
    if kind == "email":
        check_email(config, secrets, resolve=resolve)
        return
    for name in url_fields:
        if (config or {}).get(name):
            check_url(str(config[name]), resolve=resolve)


def channel_problems(kind: str, config: dict, secrets: dict, url_fields: tuple = ()) -> list[str]:
    """What is wrong with a channel's destination, for the form that saves it."""
    try:
        check_channel(kind, config, secrets, resolve=True, url_fields=url_fields)
    except UnsafeDestination as error:
        return [str(error)]
    except OSError:
        return []  # not resolvable now: checked again, address by address, when it connects
    return []


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses: resolves the host once and connects to that address."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = check_host(host, port, resolve=True)
        except OSError as error:
            raise httpcore.ConnectError(str(error)) from error
        last_error = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                last_error = error
        raise last_error or httpcore.ConnectError(f"no address for {host}")


def guarded_transport(**kwargs) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(**kwargs)
    transport._pool._network_backend = GuardedBackend()
    return transport
