"""Masa's settings, read from ``settings.MASA`` (a dict) with these defaults. docs/settings.md is
the reference: what each one does, its type, unit and an example (a test keeps it and DEFAULTS
together). Durations are written as a shop says them ("30s", "10m", "1h", "3d"; a number is
seconds) and read with ``seconds(name)``."""
from __future__ import annotations

import difflib
import re
import warnings

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import durations

DEFAULTS = {
    "SALEOR_STORES": [],                    # stores allowed to send webhooks: domain, api_url, jwks, app_token
    "JWKS_CACHE": "1h",                     # how long a store's fetched JWKS is kept
    "JWKS_FETCH_TIMEOUT": "5s",             # how long fetching a JWKS may take
    "MAX_WEBHOOK_BYTES": 1_048_576,         # a larger webhook body is refused (413)
    "CLAIM_LEASE": "10m",                   # a claimed action not finished by then is claimed again
    "EVALUATION_BATCH": 50,                 # waiting events masa_worker evaluates in one transaction
    "SWEEP_BATCH_SIZE": 500,                # due actions one sweep claims
    "OUTBOX_GRACE": "30s",                  # events still "received" this long are evaluated by the sweep
    "SEND_MAX_ATTEMPTS": 5,                 # attempts before a send fails for good
    "SEND_RETRY_BASE": "1m",                # the first retry's backoff, doubled each attempt
    "CIRCUIT_FAILURES": 5,                  # transient failures in a row that open a channel's circuit
    "CIRCUIT_OPEN_FOR": "5m",               # how long an open circuit tries no send
    "DEFAULT_FROM_EMAIL": None,             # Masa's sender; None: the site's DEFAULT_FROM_EMAIL
    "CART_ABANDONMENT_PER": None,           # "customer" or "checkout"; None: per customer unless a pack asks
    "CART_ABANDONED_AFTER": "1h",           # quiet time before a cart counts as abandoned (15m at least)
    "STAFF_EMAILS": [],                     # who gets notify_staff messages
    "MARKETING_CAPS": {},                   # marketing messages per customer over all channels: {"day": 1, "week": 4}
    "PREFERRED_CHANNEL_PRIOR": {"responses": 1, "messages": 4},  # channel: preferred starts every channel here
    "PREFERRED_CHANNEL_COMPARISON_PERCENT": 10,  # customers who get the first listed channel instead
    "PUBLIC_URL": "",                       # the site's public address: tracking and unsubscribe links
    "QUIET_HOURS": None,                    # no marketing then, customer's time: {"start": "21:00", "end": "08:00"}
    "RATE_LIMITS": {"webhook": "6000/m", "webhook_rejected": "60/m", "tracking": "120/m"},  # per client address
    "REJECTED_WEBHOOKS_KEEP": 5000,         # rejected webhooks kept for the admin
    "WEBHOOK_MAX_AGE": "3d",                # an older signed delivery is refused; None: no limit
    "ALLOWED_CHANNEL_HOSTS": [],            # private hosts channel URLs may name
    "EMAIL_BACKENDS": None,                 # email backends a channel may choose; None: the site's and anymail's
    "CHANNEL_BACKENDS": None,               # channel kind → backend class; None: masa.channels.DEFAULT_BACKENDS
    "CONSENT_METADATA_KEY": "marketing_consent",  # metadata key (and form field) of e-mail marketing consent
    "CONSENT_METADATA_KEYS": {"sms": "sms_marketing_consent", "whatsapp": "whatsapp_marketing_consent"},
    "EARLIER_CONSENT_COVERS": [],           # kinds the consent from before per-channel consent covered
    "SALEOR_APP_API_URLS": [],              # more stores that may install Masa from their dashboard
    "TOKEN_ENCRYPTION_KEYS": [],            # Fernet keys for stored app tokens, the newest first
    "TOKEN_ENCRYPTION_KEY": None,           # one more key that decrypts (the setting of earlier versions)
    "WORKER": None,                         # "celery" or "embedded"; None: Celery if it has a broker
    "JOBS": None,                           # admin jobs: "celery", "thread" or "inline"; None: Celery with a broker
    "TRACKING_LINK_MAX_AGE": "400d",        # tracking and unsubscribe links stop working after this
    "CLIENT_IP_HEADER": None,               # the header a proxy puts the client's address in
    "TRUSTED_PROXIES": None,                # proxies that append to CLIENT_IP_HEADER; None: 1
    "HEALTH_LIMITS": {"worker_seen": "2m", "oldest_unread_webhook": "5m", "oldest_overdue_action": "15m"},
    "METRICS_TOKEN": None,                  # the bearer token of /masa/metrics/; None: it answers 404
}
# The settings that are durations, and those of them where None means "no limit".
DURATIONS = {"JWKS_CACHE", "JWKS_FETCH_TIMEOUT", "CLAIM_LEASE", "OUTBOX_GRACE", "SEND_RETRY_BASE",
             "CIRCUIT_OPEN_FOR", "CART_ABANDONED_AFTER", "WEBHOOK_MAX_AGE", "TRACKING_LINK_MAX_AGE"}
NO_LIMIT = {"WEBHOOK_MAX_AGE", "TRACKING_LINK_MAX_AGE"}
# Names of earlier versions, still read (their values were seconds): old name → new name.
RENAMED = {
    "JWKS_CACHE_SECONDS": "JWKS_CACHE",
    "CLAIM_LEASE_SECONDS": "CLAIM_LEASE",
    "OUTBOX_GRACE_SECONDS": "OUTBOX_GRACE",
    "SEND_RETRY_BASE_SECONDS": "SEND_RETRY_BASE",
    "CIRCUIT_OPEN_SECONDS": "CIRCUIT_OPEN_FOR",
}
HEALTH_LIMIT_NAMES = tuple(DEFAULTS["HEALTH_LIMITS"])
METRICS_TOKEN_SHORTEST = 16  # a shorter bearer token can be guessed by whoever can reach /masa/metrics/
BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # what an Authorization header carries as is (RFC 6750)
_warned: set[str] = set()


def _configured() -> dict:
    masa = getattr(settings, "MASA", None)
    return masa if isinstance(masa, dict) else {}


def get(name):
    """The site's value of a setting, else its default. A setting the site still writes under its
    earlier name is read from there (with a DeprecationWarning, once per process); asking for an
    earlier name gives the new setting in seconds."""
    if name in RENAMED:
        value = seconds(RENAMED[name])
        _warn_renamed(name, value)
        return value
    configured = _configured()
    if name in configured:
        return configured[name]
    old = _old_name(name, configured)
    if old is not None:
        _warn_renamed(old, configured[old])
        return configured[old]
    return DEFAULTS[name]


def seconds(name) -> float | None:
    """A duration setting in seconds; None where the site set None and that means no limit.
    Raises ImproperlyConfigured naming the setting and its value when it is not a duration."""
    value = get(name)
    problem = duration_problem(name, value)
    if problem:
        raise ImproperlyConfigured(problem)
    return None if value is None else durations.seconds(value)


def duration_problem(name: str, value) -> str | None:
    """What is wrong with ``value`` as the duration setting ``name``, in a sentence; None if nothing."""
    return None if value is None and name in NO_LIMIT else _not_a_duration(f"MASA['{name}']", value)


def _not_a_duration(where: str, value) -> str | None:
    try:
        durations.seconds(value)
    except ValueError as error:
        return f"{where}: {error}"
    return None


def metrics_token() -> str | None:
    """``MASA["METRICS_TOKEN"]`` as ``/masa/metrics/`` compares it: without the whitespace around it
    (an environment file's newline); None while it is unset, blank or not a text (masa.E011)."""
    token = get("METRICS_TOKEN")
    return (token.strip() or None) if isinstance(token, str) else None


def _metrics_token_checks() -> list[checks.CheckMessage]:
    """A token that is not a text (masa.E011), or blank or short (masa.W012); never its value."""
    token = get("METRICS_TOKEN")
    if token is None:
        return []
    if not isinstance(token, str):
        return [checks.Error(f"MASA['METRICS_TOKEN'] is a {type(token).__name__}, not a text: /masa/metrics/ "
                             "answers 404 until it is one.", hint="Set it to a long random text, e.g. "
                             "python -c \"import secrets; print(secrets.token_urlsafe(32))\".", id="masa.E011")]
    token, hint = token.strip(), "Use python -c \"import secrets; print(secrets.token_urlsafe(32))\"."
    if not token:
        return [checks.Warning("MASA['METRICS_TOKEN'] is blank: /masa/metrics/ answers 404.", hint=hint, id="masa.W012")]
    if len(token) < METRICS_TOKEN_SHORTEST:
        return [checks.Warning(f"MASA['METRICS_TOKEN'] is shorter than {METRICS_TOKEN_SHORTEST} characters: anyone who "
                               "can reach /masa/metrics/ may guess it.", hint=hint, id="masa.W012")]
    if not BEARER_TOKEN.fullmatch(token):
        return [checks.Warning("MASA['METRICS_TOKEN'] has characters a bearer token cannot carry (only letters, "
                               "digits and - . _ ~ + / =): Prometheus's requests may never match it.", hint=hint,
                               id="masa.W012")]
    return []


def _health_limits_checks(limits) -> tuple[list[str], list[checks.CheckMessage]]:
    """What is wrong with ``MASA["HEALTH_LIMITS"]``: the problems (masa.E010) and the names that are
    no limit (masa.W011). None keeps the defaults."""
    if limits is None:
        return [], []
    if not isinstance(limits, dict):
        return [f"MASA['HEALTH_LIMITS'] is a {type(limits).__name__}, not a dict of durations "
                f"(e.g. {{'worker_seen': '5m'}})"], []
    problems = [_not_a_duration(f"MASA['HEALTH_LIMITS'][{key!r}]", value) for key, value in limits.items()]
    unknown = []
    for name in sorted(str(key) for key in limits if key not in HEALTH_LIMIT_NAMES):
        close = difflib.get_close_matches(name, HEALTH_LIMIT_NAMES, n=1, cutoff=0.6)
        unknown.append(checks.Warning(
            f"MASA['HEALTH_LIMITS'][{name[:80]!r}] is not a health limit: it does nothing.",
            hint=f"Did you mean {close[0]}?" if close else f"The limits are {', '.join(HEALTH_LIMIT_NAMES)}.",
            id="masa.W011"))
    return problems, unknown


def _old_name(name: str, configured: dict) -> str | None:
    return next((old for old, new in RENAMED.items() if new == name and old in configured), None)


def _renamed_advice(old: str, value) -> str:
    try:
        written = repr(durations.setting_text(durations.seconds(value)))
    except ValueError:
        written = "a duration such as '10m'"
    return f"MASA['{old}'] is deprecated: write MASA['{RENAMED[old]}'] = {written}"


def _warn_renamed(old: str, value) -> None:
    if old not in _warned:
        _warned.add(old)
        warnings.warn(_renamed_advice(old, value), DeprecationWarning, stacklevel=3)


PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache",
                  "django.core.cache.backends.filebased.FileBasedCache")  # a process's or one machine's own


def _celery_cache_checks() -> list[checks.CheckMessage]:
    """masa.W013: Celery through a broker with a cache each process (or machine) keeps to itself —
    a wake-up's flag is then not seen where the task runs (``wakeups``), and rate limits count per
    process."""
    celery = getattr(settings, "CELERY_BROKER_URL", "") and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    backend = getattr(settings, "CACHES", {}).get("default", {}).get("BACKEND", PROCESS_CACHES[0])
    if not celery or get("WORKER") == "embedded" or backend not in PROCESS_CACHES:
        return []
    return [checks.Warning(
        "Celery has a broker but the cache is each process's (or machine's) own: Celery's wake-ups are not "
        "counted once, and rate limits count per process.",
        hint="Give the site a shared cache: CACHES = {'default': {'BACKEND': "
             "'django.core.cache.backends.redis.RedisCache', 'LOCATION': 'redis://…/1'}} (docs/deploy.md).",
        id="masa.W013")]


def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check``: durations that are not durations (masa.E010), earlier names
    (masa.W010), names Masa does not know, with the close ones (masa.W011), and a metrics token
    that is not a text (masa.E011) or is blank or short (masa.W012), Celery without a shared cache
    (masa.W013)."""
    configured = _configured()
    sources = (name if name in configured else _old_name(name, configured)
               for name in sorted(DURATIONS - {"CART_ABANDONED_AFTER"}))  # masa.E001 checks that one
    problems = [duration_problem(source, configured[source]) for source in sources if source is not None]
    limit_problems, found = _health_limits_checks(get("HEALTH_LIMITS"))
    problems += limit_problems
    hint = f"A duration is a number of seconds or a text: {durations.SETTING_EXAMPLES}."
    found = [*(checks.Error(problem, hint=hint, id="masa.E010") for problem in problems if problem), *found,
             *_metrics_token_checks(), *_celery_cache_checks()]
    for old, new in RENAMED.items():
        if old in configured:
            ignored = f" It is ignored: MASA['{new}'] is set." if new in configured else ""
            found.append(checks.Warning(f"{_renamed_advice(old, configured[old])}.{ignored}",
                                        hint="The earlier name still works for now.", id="masa.W010"))
    known = [*DEFAULTS, *RENAMED]
    for name in sorted(str(key) for key in configured if key not in known):
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"Did you mean {' or '.join(close)}?" if close else "Masa's settings are in docs/settings.md."
        found.append(checks.Warning(f"MASA[{name[:80]!r}] is not a Masa setting: it does nothing.", hint=hint,
                                    id="masa.W011"))
    return found
