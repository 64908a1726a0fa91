"""A minimal Wagtail site with Masa installed the way a shop would install it.

Database: SQLite by default (the demo); set MASA_DB=postgres to use PostgreSQL through the
usual PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
Celery: CELERY_BROKER_URL (Redis in production); without it tasks run in-process.
"""
import os
from pathlib import Path

from celery.schedules import crontab  # noqa: F401  (documented alternative to the intervals below)

BASE_DIR = Path(__file__).resolve().parent.parent

# No key is written here: one in a public repository lets anyone forge Masa's links (and, without
# MASA["TOKEN_ENCRYPTION_KEYS"], read stored Saleor tokens). scripts/demo.sh makes one for the demo
# (example/.demo/secret_key) and turns DEBUG on; a real site sets both itself.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a random value of 50 characters or more, e.g. "
        "python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")

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

if os.environ.get("MASA_DB", "sqlite") == "postgres":
    # Wagtail's search index on PostgreSQL (checked by Wagtail 7.4 LTS) needs the postgres contrib app.
    INSTALLED_APPS.append("django.contrib.postgres")
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
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("MASA_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
# The admin languages a user may choose under Account → Preferences. Wagtail lists only the
# languages it translates itself (Hebrew is not among them), so a site names its own: Masa ships Hebrew.
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("he", "עברית")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

WAGTAIL_SITE_NAME = "Masa example shop"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = "shop@example.com"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_BEAT_SCHEDULE = {
    "masa-sweep-due-actions": {"task": "masa.sweep_due_actions", "schedule": 30.0},
    "masa-read-inbound": {"task": "masa.read_inbound", "schedule": 1.0},
    "masa-sweep-outbox": {"task": "masa.sweep_outbox", "schedule": 60.0},
    "masa-fan-out-broadcasts": {"task": "masa.fan_out_broadcasts", "schedule": 5.0},
    "masa-check-pack-subscriptions": {"task": "masa.check_pack_subscriptions", "schedule": 3600.0},  # each daily
}

MASA = {
    # The address customers reach this site at: Masa's links (view in browser, survey answers,
    # unsubscribe, tracking) are made from it; without it a template that writes one is refused.
    "PUBLIC_URL": os.environ.get("MASA_PUBLIC_URL", ""),
    "SALEOR_STORES": [
        {
            "domain": os.environ.get("MASA_SALEOR_DOMAIN", "127.0.0.1:8000"),
            "api_url": os.environ.get("MASA_SALEOR_API_URL", "http://127.0.0.1:8000/graphql/"),
            # The app's token (vouchers, metadata); a store installed from its dashboard keeps its own.
            "app_token": os.environ.get("MASA_SALEOR_APP_TOKEN", ""),
        }
    ],
    # Fernet keys for stored app tokens, comma-separated, the newest first (plugin/conf.py).
    "TOKEN_ENCRYPTION_KEYS": [key for key in os.environ.get("MASA_TOKEN_ENCRYPTION_KEYS", "").split(",") if key],
}
