"""Masa's settings, read from ``settings.MASA`` (a dict) with documented defaults."""
from django.conf import settings

DEFAULTS = {
    # Saleor stores allowed to send webhooks. Each: {"domain": "shop.example.com",
    # "api_url": "https://shop.example.com/graphql/", "jwks": optional pinned JWKS dict,
    # "app_token": the app's token, needed to create vouchers}.
    "SALEOR_STORES": [],
    "JWKS_CACHE_SECONDS": 3600,
    "JWKS_FETCH_TIMEOUT": 5.0,
    "MAX_WEBHOOK_BYTES": 1_048_576,
    # Claimed actions not finished after this many seconds are claimed again (crashed worker).
    "CLAIM_LEASE_SECONDS": 600,
    # masa_worker evaluates up to this many waiting events (about ten orders) in one transaction,
    # one at a time again if that fails; each customer's events stay in order.
    "EVALUATION_BATCH": 50,
    "SWEEP_BATCH_SIZE": 500,
    # Events still "received" after this many seconds are evaluated by the outbox sweep.
    "OUTBOX_GRACE_SECONDS": 30,
    "SEND_MAX_ATTEMPTS": 5,
    "SEND_RETRY_BASE_SECONDS": 60,
    # Circuit breaker per channel: after this many transient failures in a row, no send is tried
    # on the channel for CIRCUIT_OPEN_SECONDS (due sends wait); then one send probes it.
    "CIRCUIT_FAILURES": 5,
    "CIRCUIT_OPEN_SECONDS": 300,
    "DEFAULT_FROM_EMAIL": None,
    # A checkout with no update for this long (and no order) becomes a cart_abandoned event.
    # "customer": one abandonment per customer, the latest checkout counts and an earlier pending
    # check is cancelled with the reason; "checkout": one per open checkout. None (default): per
    # customer, unless an installed pack asks for per checkout (cart_abandonment: {per: checkout}).
    "CART_ABANDONMENT_PER": None,
    # At least 15m (actions.abandonment.MINIMUM_QUIET); a shorter value is a system check error.
    "CART_ABANDONED_AFTER": "1h",
    # Who gets notify_staff messages.
    "STAFF_EMAILS": [],
    # Marketing dosage (plugin/actions/dosage.py): caps over all channels, e.g. {"day": 1, "week": 4},
    # and quiet hours in the customer's time zone, e.g. {"start": "21:00", "end": "08:00"}.
    "MARKETING_CAPS": {},
    # A send with `channel: preferred` (masa.preference) picks the listed channel the customer answers
    # best: its share of messages opened, read, clicked or replied to, counted as if every channel
    # had started with `responses` answers in `messages` messages (a Beta prior: one or two messages
    # do not decide; each bounce or unsubscribe counts once more against its channel).
    "PREFERRED_CHANNEL_PRIOR": {"responses": 1, "messages": 4},
    # This % of customers (stable per rule, masa.assignment) get the first reachable listed channel
    # instead — the comparison group that tells what choosing earns. 0: none.
    "PREFERRED_CHANNEL_COMPARISON_PERCENT": 10,
    # The site's public address (https://cms.example.com): tracking and unsubscribe links.
    "PUBLIC_URL": "",
    "QUIET_HOURS": None,
    # Requests per client address to the public endpoints ("N/s", "N/m" or "N/h"; None: no limit).
    # Behind a proxy, name the header that carries the client's address (e.g. "HTTP_X_FORWARDED_FOR").
    # "webhook" is about what one busy Saleor sends (its Celery workers, ~100 deliveries/s);
    # "webhook_rejected" counts the requests refused with a 4xx: a client past it gets 429 at once.
    "RATE_LIMITS": {"webhook": "6000/m", "webhook_rejected": "60/m", "tracking": "120/m"},
    # Rejected webhooks kept for the admin (the oldest go first).
    "REJECTED_WEBHOOKS_KEEP": 5000,
    # A signed delivery issued longer ago than this (seconds) is refused: Saleor retries a failed
    # delivery 5 times with a backoff of 10 s doubling (about 5 minutes in all) and re-sends the same
    # payload from the dashboard's retry; 3 days also covers a Saleor worker backlog. None: no limit.
    "WEBHOOK_MAX_AGE": 3 * 24 * 3600,
    # Channel URLs may not name loopback, link-local, private or reserved addresses unless their
    # host is listed here (e.g. ["127.0.0.1", "hooks.internal"]); checked at save and at connect.
    "ALLOWED_CHANNEL_HOSTS": [],
    # Email backends a channel may choose (dotted paths); None: the site's EMAIL_BACKEND and the
    # installed anymail ESPs.
    "EMAIL_BACKENDS": None,
    # Channel kinds: kind → backend class (dotted path); None: email, sms and webhook
    # (masa.channels.DEFAULT_BACKENDS). A new kind is a ChannelBackend subclass named here.
    "CHANNEL_BACKENDS": None,
    # The public metadata key (on the Saleor customer, else the checkout or order) that holds a
    # customer's marketing consent ("true"/"false", "yes"/"no"), and the field of a submitted form
    # (masa.signals.form_submitted) that gives it. Without consent a customer gets no marketing.
    "CONSENT_METADATA_KEY": "marketing_consent",
    # Marketing consent per channel kind: kind → the public metadata key (and form field) that gives
    # it. E-mail's is CONSENT_METADATA_KEY unless named here; a kind left out is read from nowhere.
    "CONSENT_METADATA_KEYS": {"sms": "sms_marketing_consent", "whatsapp": "whatsapp_marketing_consent"},
    # The kinds ("sms", "whatsapp") the shop's consent from before per-channel consent also covered:
    # read once by migration 0023, which gives those kinds to customers with e-mail consent
    # (manage.py masa_consent --earlier-covers does the same later). Default: none.
    "EARLIER_CONSENT_COVERS": [],
    # Saleor stores (their GraphQL API URLs) that may install Masa from their dashboard besides
    # those of SALEOR_STORES.
    "SALEOR_APP_API_URLS": [],
    # The Fernet keys (Fernet.generate_key()) stored app tokens are encrypted with: the first
    # encrypts, every one decrypts. To rotate, put a new key first and keep the old ones after it
    # (installation.reencrypt_tokens() rewrites the stored tokens with the new key; then the old
    # ones can go). Keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS also decrypt, and encrypt
    # when no key is set. A store whose token no key decrypts shows as needing reinstall.
    "TOKEN_ENCRYPTION_KEYS": [],
    # One more key that decrypts (after those of TOKEN_ENCRYPTION_KEYS; it encrypts when that list
    # is empty): the single-key setting of earlier versions, still read.
    "TOKEN_ENCRYPTION_KEY": None,
    # Who evaluates stored events: "celery" (a task per delivery, through the broker) or
    # "embedded" (`manage.py masa_worker` polls the database); None: Celery if it has a broker.
    "WORKER": None,
    # Where admin jobs (simulate, backfill, pack upgrade) run: "celery", "thread" (in the process
    # that started them) or "inline" (at once, in the request: tests); None: Celery with a broker.
    "JOBS": None,
    # Tracking links (open, click, unsubscribe, view…) stop working after this many seconds.
    "TRACKING_LINK_MAX_AGE": 400 * 24 * 3600,
    "CLIENT_IP_HEADER": None,
    # How many proxies in front of Masa append to CLIENT_IP_HEADER: the client's address is the
    # entry that many from the right (the left-most ones are written by the client). None: 1.
    "TRUSTED_PROXIES": None,
    # /masa/health/ answers 503 when one of these is exceeded: no worker seen for longer than
    # "worker_seen", a stored webhook unread for longer than "oldest_unread_webhook", an action
    # overdue for longer than "oldest_overdue_action" (durations in words: "90s", "5m", "2h").
    "HEALTH_LIMITS": {"worker_seen": "2m", "oldest_unread_webhook": "5m", "oldest_overdue_action": "15m"},
    # The bearer token Prometheus sends to /masa/metrics/ (Authorization: Bearer <token>); None:
    # the endpoint answers 404. Needs the "metrics" extra (pip install "masa[metrics]").
    "METRICS_TOKEN": None,
}


def get(name):
    return getattr(settings, "MASA", {}).get(name, DEFAULTS[name])
