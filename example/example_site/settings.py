"""A minimal Wagtail site with Masa installed the way a shop would install it.

Everything a deployment sets comes from the environment; docs/settings.md, "The example site's
environment", lists every variable (a test keeps that table and this file together). Without any,
it is the demo: SQLite, in-process tasks, e-mail printed to the console.
"""
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from celery.schedules import crontab  # noqa: F401  (documented alternative to the intervals below)
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_list(name: str) -> list[str]:
    """A comma-separated environment variable as a list (blank items dropped)."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int | None) -> int | None:
    """A whole-number environment variable; unset or blank: ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {text[:20]!r}") from None


def _cut_short(parts) -> bool:
    """Whether an unencoded / # or ? in a password ended a database URL's address early."""
    try:
        parts.port
    except ValueError:
        return True
    return bool(parts.fragment) or ("@" not in parts.netloc and "@" in parts.path + parts.query)


def _database_from_url(url: str) -> dict:
    """DATABASES["default"] from postgres://user:password@host:port/name?sslmode=require or
    sqlite:///path/to/db.sqlite3. An error never shows the URL: it holds the password."""
    parts = urlsplit(url.strip())
    if parts.scheme in ("postgres", "postgresql"):
        if _cut_short(parts):
            raise ImproperlyConfigured(
                "DATABASE_URL cannot be read: percent-encode the user name and password "
                "(@ as %40, : as %3A, / as %2F, # as %23, ? as %3F, % as %25)")
        return {"ENGINE": "django.db.backends.postgresql", "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
                "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
                "NAME": unquote(parts.path.lstrip("/")), "OPTIONS": dict(parse_qsl(parts.query))}
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path) or str(BASE_DIR / "db.sqlite3")}
    raise ImproperlyConfigured(f"DATABASE_URL must start with postgres:// or sqlite:///, not {parts.scheme!r}://")


# No key is written here: one in a public repository lets anyone forge Masa's links (and, without
# MASA["TOKEN_ENCRYPTION_KEYS"], read stored Saleor tokens). scripts/demo.sh makes one for the demo
# (example/.demo/secret_key) and turns DEBUG on; a real site sets both itself.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a random value of 50 characters or more, e.g. "
        "python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'")
DEBUG = _env_flag("DJANGO_DEBUG")
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS") or ["localhost", "127.0.0.1", "testserver"]
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Behind a proxy that ends HTTPS: the header it sets to "https" (e.g. HTTP_X_FORWARDED_PROTO). Only
# when that proxy overwrites the header a client sends, or anyone can claim HTTPS.
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"], "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "masa",
    "demo_store",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"
# scripts/demo.sh: this site also plays the demo's Saleor store and serves its signing key.
DEMO_STORE = os.environ.get("MASA_DEMO_STORE", "") == "1"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "example_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

WSGI_APPLICATION = "example_site.wsgi.application"

# MASA_DB=postgres: PostgreSQL through the PG* variables (tests, CI); else DATABASE_URL when set;
# else SQLite (the demo).
if os.environ.get("MASA_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "NAME": os.environ.get("PGDATABASE", "masa"),
        }
    }
elif os.environ.get("DATABASE_URL"):
    DATABASES = {"default": _database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("MASA_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search index on PostgreSQL (checked by Wagtail 7.4 LTS) needs the postgres contrib app.
    INSTALLED_APPS.append("django.contrib.postgres")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
# The admin languages a user may choose under Account → Preferences. Wagtail lists only the
# languages it translates itself (Hebrew is not among them), so a site names its own: Masa ships Hebrew.
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("he", "עברית")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")

LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

WAGTAIL_SITE_NAME = "Masa example shop"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@example.com")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_flag("EMAIL_USE_TLS")
# An ESP through Anymail (EMAIL_BACKEND=anymail.backends.mailgun.EmailBackend…): each ANYMAIL_<NAME>
# variable is ANYMAIL["<NAME>"], e.g. ANYMAIL_MAILGUN_API_KEY, ANYMAIL_WEBHOOK_SECRET.
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}
if ANYMAIL:
    INSTALLED_APPS.append("anymail")

# One cache for every process (rate limits per client, Celery's wake-ups counted once): Redis.
if os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a woken task goes to a process that is free, not one busy sending
CELERY_BEAT_SCHEDULE = {
    "masa-sweep-due-actions": {"task": "masa.sweep_due_actions", "schedule": 30.0},
    "masa-read-inbound": {"task": "masa.read_inbound", "schedule": 1.0},
    "masa-evaluate-waiting": {"task": "masa.evaluate_waiting", "schedule": 5.0},  # a wake-up lost with its task
    "masa-sweep-outbox": {"task": "masa.sweep_outbox", "schedule": 60.0},
    "masa-fan-out-broadcasts": {"task": "masa.fan_out_broadcasts", "schedule": 5.0},
    "masa-check-pack-subscriptions": {"task": "masa.check_pack_subscriptions", "schedule": 3600.0},  # each daily
}

MASA = {
    # The address customers reach this site at: Masa's links (view in browser, survey answers,
    # unsubscribe, tracking) are made from it; without it a template that writes one is refused.
    "PUBLIC_URL": os.environ.get("MASA_PUBLIC_URL", ""),
    # MASA_SALEOR_DOMAIN="" configures no store here: stores install Masa from their dashboard.
    "SALEOR_STORES": [
        {
            "domain": os.environ.get("MASA_SALEOR_DOMAIN", "127.0.0.1:8000"),
            "api_url": os.environ.get("MASA_SALEOR_API_URL", "http://127.0.0.1:8000/graphql/"),
            # The app's token (vouchers, metadata); a store installed from its dashboard keeps its own.
            "app_token": os.environ.get("MASA_SALEOR_APP_TOKEN", ""),
        }
    ] if os.environ.get("MASA_SALEOR_DOMAIN", "127.0.0.1:8000") else [],
    "SALEOR_APP_API_URLS": _env_list("MASA_SALEOR_APP_API_URLS"),
    "TOKEN_ENCRYPTION_KEYS": _env_list("MASA_TOKEN_ENCRYPTION_KEYS"),
    "METRICS_TOKEN": os.environ.get("MASA_METRICS_TOKEN") or None,
    "CLIENT_IP_HEADER": os.environ.get("MASA_CLIENT_IP_HEADER") or None,
    "TRUSTED_PROXIES": _env_int("MASA_TRUSTED_PROXIES", None),
    "WORKER": os.environ.get("MASA_WORKER") or None,
}
