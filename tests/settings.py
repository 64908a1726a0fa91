"""Test settings: the example site on the real PostgreSQL and Redis (as CI provides them)."""
import os

os.environ.setdefault("MASA_DB", "postgres")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
# The example site reads its key from the environment only; this one is for tests (and the
# processes they start, which inherit it) and is not a published default masa.checks refuses.
os.environ.setdefault("DJANGO_SECRET_KEY", "masa-tests-only-6f1c0e9b2d4a4f7e8c3b5a1d9e2f7c4b-not-for-a-site")

from example_site.settings import *  # noqa: E402,F401,F403

REDIS_URL = os.environ.get("MASA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A key prefix per test process: two runs at once on one Redis must not read each other's JWKS.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": f"masa-test-{os.getpid()}"}}
CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MASA = {
    "SALEOR_STORES": [{"domain": "localhost:8000", "api_url": "http://localhost:8000/graphql/"}],
    # Every test client is 127.0.0.1; tests/security/test_sandbox_limits_and_erasure.py sets its own limits.
    "RATE_LIMITS": {"webhook": "100000/m", "tracking": "100000/m"},
    # Tests replay deliveries issued days or months ago (time travel, the captures);
    # tests/security/test_hostile_input_and_admin.py checks the age limit with its own setting.
    "WEBHOOK_MAX_AGE": None,
    # Channels may reach loopback only where a test runs its own provider there (and says so).
    "ALLOWED_CHANNEL_HOSTS": [host for host in os.environ.get("MASA_TEST_CHANNEL_HOSTS", "").split(",") if host],
    # Admin jobs run at once, in the test's transaction (tests/jobs/test_background_jobs.py also runs them in a thread).
    "JOBS": "inline",
}
