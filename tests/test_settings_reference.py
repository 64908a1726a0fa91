"""docs/settings.md is the reference of Masa's settings: every key of conf.DEFAULTS with its
default, the earlier names, and the example site's environment. Durations are read in a shop's
words everywhere; earlier names still work, with a warning; a wrong setting is said by ``check``."""
import ast
import os
import re
import runpy
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from masa import conf, durations

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
EXAMPLE_SETTINGS = ROOT / "example" / "example_site" / "settings.py"


def section(title: str) -> str:
    """The text of a ``## title`` section of the doc (up to the next ``## ``)."""
    start = DOC.index(f"\n## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end != -1 else None]


def documented_settings() -> dict[str, str]:
    """Setting name → the text of its ``### `NAME` `` section."""
    parts = re.split(r"^### `([A-Z0-9_]+)`\n", DOC, flags=re.MULTILINE)
    return {name: text.split("\n## ")[0] for name, text in zip(parts[1::2], parts[2::2])}


def table_names(text: str) -> set[str]:
    """The names in the first column of a markdown table (``| `A`, `B` | … |``)."""
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_every_setting_is_documented_and_every_documented_setting_exists():
    assert set(documented_settings()) == set(conf.DEFAULTS)


@pytest.mark.parametrize("name", sorted(conf.DEFAULTS))
def test_the_documented_default_is_the_default(name):
    text = documented_settings()[name]
    default = re.search(r"\*\*Default:\*\* `(.+?)`\.", text)
    assert default, f"docs/settings.md: {name} has no **Default:** `…`."
    assert ast.literal_eval(default.group(1)) == conf.DEFAULTS[name]
    assert re.search(r"\*\*Type:\*\* .+\*\*Example:\*\* `.+`", text), f"{name}: a type and an example"


@pytest.mark.parametrize("name", sorted(conf.DURATIONS))
def test_duration_settings_are_documented_as_durations_and_their_defaults_are_durations(name):
    assert documented_settings()[name].lstrip().startswith("**Type:** duration")
    assert durations.seconds(conf.DEFAULTS[name]) > 0


def test_the_earlier_names_table_is_conf_renamed_and_its_examples_are_right():
    rows = [re.findall(r"`([^`]+)`", line) for line in section("Earlier names").splitlines() if line.startswith("| `")]
    assert {old: new for old, new, *_ in rows} == conf.RENAMED
    for old, new, number, words in rows:
        assert durations.setting_text(durations.seconds(int(number))) == ast.literal_eval(words)
        assert durations.seconds(conf.DEFAULTS[new]) == int(number), f"{old}: the example is its old default"


def read_environment_names(path: Path) -> set[str]:
    """Every environment variable the file reads: os.environ.get / os.environ[…] / os.getenv and
    its own _env_* helpers with a literal name; a name read by prefix (startswith) as PREFIX*."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = ast.unparse(node.func)
            if function in ("os.environ.get", "os.getenv") or function.startswith("_env_"):
                names.add(node.args[0].value)
            elif function.endswith(".startswith"):
                names.add(f"{node.args[0].value}*")
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
    return names


def test_the_example_sites_environment_table_names_every_variable_it_reads_and_no_other():
    read = read_environment_names(EXAMPLE_SETTINGS)
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "MASA_SALEOR_APP_API_URLS", "ANYMAIL_*"} <= read
    assert table_names(section("The example site's environment")) == read


def example_settings(monkeypatch, **environment) -> dict:
    """The example site's settings module run afresh with exactly this environment (and a key)."""
    for name in read_environment_names(EXAMPLE_SETTINGS):
        monkeypatch.delenv(name.rstrip("*"), raising=False)
    for name in [name for name in os.environ if name.startswith("ANYMAIL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 20 + "0123456789" * 4)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(EXAMPLE_SETTINGS))


def test_the_example_site_without_environment_is_the_demo_on_sqlite(monkeypatch):
    site = example_settings(monkeypatch)
    assert site["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert site["CELERY_TASK_ALWAYS_EAGER"] and not site["DEBUG"] and "SECURE_PROXY_SSL_HEADER" not in site
    assert site["MASA"]["SALEOR_APP_API_URLS"] == [] and site["MASA"]["METRICS_TOKEN"] is None
    assert site["ANYMAIL"] == {} and "anymail" not in site["INSTALLED_APPS"]


def test_the_example_site_reads_a_deployment_from_the_environment(monkeypatch):
    site = example_settings(
        monkeypatch, DATABASE_URL="postgres://masa:p%40ss@db.internal:6432/shop?sslmode=require",
        DJANGO_ALLOWED_HOSTS="cms.example.com, www.example.com", DJANGO_CSRF_TRUSTED_ORIGINS="https://cms.example.com",
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO", DJANGO_DEBUG="true",
        MASA_SALEOR_APP_API_URLS="https://a.example.com/graphql/,https://b.example.com/graphql/",
        MASA_TRUSTED_PROXIES="2", MASA_METRICS_TOKEN="scrape-me", MASA_WORKER="embedded",
        ANYMAIL_MAILGUN_API_KEY="key-1", EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
        DJANGO_LOG_LEVEL="info")
    assert site["DATABASES"]["default"] == {
        "ENGINE": "django.db.backends.postgresql", "HOST": "db.internal", "PORT": "6432", "USER": "masa",
        "PASSWORD": "p@ss", "NAME": "shop", "OPTIONS": {"sslmode": "require"}}
    assert "django.contrib.postgres" in site["INSTALLED_APPS"] and site["DEBUG"]
    assert site["ALLOWED_HOSTS"] == ["cms.example.com", "www.example.com"]
    assert site["CSRF_TRUSTED_ORIGINS"] == ["https://cms.example.com"]
    assert site["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https") and site["SESSION_COOKIE_SECURE"]
    assert site["MASA"]["SALEOR_APP_API_URLS"] == ["https://a.example.com/graphql/", "https://b.example.com/graphql/"]
    assert (site["MASA"]["TRUSTED_PROXIES"], site["MASA"]["METRICS_TOKEN"], site["MASA"]["WORKER"]) == \
        (2, "scrape-me", "embedded")
    assert site["ANYMAIL"] == {"MAILGUN_API_KEY": "key-1"} and "anymail" in site["INSTALLED_APPS"]
    assert site["LOGGING"]["root"]["level"] == "INFO"


def test_masa_db_postgres_still_chooses_the_pg_variables_over_a_database_url(monkeypatch):
    site = example_settings(monkeypatch, MASA_DB="postgres", PGDATABASE="masa_ci", DATABASE_URL="sqlite:////tmp/x")
    assert site["DATABASES"]["default"]["NAME"] == "masa_ci"


def test_a_database_url_of_another_kind_is_refused_in_words(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with postgres:// or sqlite:///"):
        example_settings(monkeypatch, DATABASE_URL="mysql://db/shop")


@pytest.mark.parametrize("text, expected", [
    ("30s", 30), ("10m", 600), ("1h", 3600), ("3d", 259200), ("2w", 1209600), ("1d12h", 129600), ("1.5h", 5400),
    ("10 minutes", 600), ("10 min", 600), ("2 hours 30 min", 9000), (" 5M ", 300), ("600", 600), (600, 600),
    (5.5, 5.5), (0, 0),
])
def test_a_duration_setting_is_read_in_a_shops_words_or_in_seconds(text, expected):
    assert durations.seconds(text) == expected


@pytest.mark.parametrize("value", ["soon", "10 mo", "10 minutes!", "1h,30m", "", "m", "-5", "1e9", -1, True, None,
                                   [60], float("nan"), float("inf"), "36526d"])
def test_what_is_not_a_duration_setting_is_refused(value):
    with pytest.raises(ValueError, match="not a duration|longer than a century"):
        durations.seconds(value)


@pytest.mark.parametrize("value, text", [(600, "10m"), (3600, "1h"), (259200, "3d"), (34560000, "400d"),
                                         (90, "90s"), (0, "0s"), (0.5, "0.5s"), (5400, "90m")])
def test_seconds_are_written_back_in_the_largest_whole_unit(value, text):
    assert durations.setting_text(value) == text and durations.seconds(text) == value


@pytest.fixture
def fresh_warnings(monkeypatch):
    """Each test sees the once-per-process deprecation warnings again."""
    monkeypatch.setattr(conf, "_warned", set())


def test_conf_reads_new_duration_names_in_words_and_numbers(settings):
    settings.MASA = {"CLAIM_LEASE": "15 minutes", "OUTBOX_GRACE": 0, "WEBHOOK_MAX_AGE": None}
    assert conf.seconds("CLAIM_LEASE") == 900 and conf.seconds("OUTBOX_GRACE") == 0
    assert conf.seconds("WEBHOOK_MAX_AGE") is None and conf.seconds("JWKS_CACHE") == 3600


def test_an_earlier_name_still_works_and_warns_once_with_the_new_name_in_words(settings, fresh_warnings):
    settings.MASA = {"CLAIM_LEASE_SECONDS": 600}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert conf.seconds("CLAIM_LEASE") == 600
        assert conf.seconds("CLAIM_LEASE") == 600
    assert [str(w.message) for w in caught if w.category is DeprecationWarning] == [
        "MASA['CLAIM_LEASE_SECONDS'] is deprecated: write MASA['CLAIM_LEASE'] = '10m'"]


def test_the_new_name_wins_over_the_earlier_one(settings, fresh_warnings):
    settings.MASA = {"CIRCUIT_OPEN_SECONDS": 60, "CIRCUIT_OPEN_FOR": "15m"}
    assert conf.seconds("CIRCUIT_OPEN_FOR") == 900
    [warning] = [m for m in conf.check_settings() if m.id == "masa.W010"]
    assert "It is ignored: MASA['CIRCUIT_OPEN_FOR'] is set." in warning.msg


def test_code_asking_for_an_earlier_name_gets_the_new_setting_in_seconds(settings, fresh_warnings):
    settings.MASA = {"SEND_RETRY_BASE": "2m"}
    with pytest.warns(DeprecationWarning, match="MASA\\['SEND_RETRY_BASE'\\] = '2m'"):
        assert conf.get("SEND_RETRY_BASE_SECONDS") == 120


def test_a_bad_duration_is_refused_where_it_is_read_naming_the_setting(settings):
    settings.MASA = {"JWKS_FETCH_TIMEOUT": "a while"}
    with pytest.raises(ImproperlyConfigured, match="MASA\\['JWKS_FETCH_TIMEOUT'\\]: 'a while' is not a duration"):
        conf.seconds("JWKS_FETCH_TIMEOUT")


def by_id(messages) -> dict[str, list[str]]:
    found = {}
    for message in messages:
        found.setdefault(message.id, []).append(f"{message.msg} {message.hint}")
    return found


def test_check_names_bad_durations_earlier_names_and_unknown_settings(settings, fresh_warnings):
    settings.MASA = {**settings.MASA, "OUTBOX_GRACE": "10 minuts", "CLAIM_LEASE_SECONDS": 600, "PUBLIC_ULR": "x",
                     "CIRCUIT_OPEN_SECONDS": "bad", "NOTHING_LIKE_IT": 1,
                     "HEALTH_LIMITS": {"worker_seen": "soon", "oldest_unread_webhook": "5m"}}
    assert conf.check_settings in checks.registry.registry.get_checks()
    found = by_id(conf.check_settings())
    assert sorted(found["masa.E010"]) == [
        "MASA['CIRCUIT_OPEN_SECONDS']: 'bad' is not a duration (write e.g. 30s, 10m, 1h, 3d or 10 minutes) "
        "A duration is a number of seconds or a text: 30s, 10m, 1h, 3d or 10 minutes.",
        "MASA['HEALTH_LIMITS']['worker_seen']: 'soon' is not a duration (write e.g. 30s, 10m, 1h, 3d or 10 minutes) "
        "A duration is a number of seconds or a text: 30s, 10m, 1h, 3d or 10 minutes.",
        "MASA['OUTBOX_GRACE']: '10 minuts' is not a duration (write e.g. 30s, 10m, 1h, 3d or 10 minutes) "
        "A duration is a number of seconds or a text: 30s, 10m, 1h, 3d or 10 minutes."]
    assert any(text.startswith("MASA['CLAIM_LEASE_SECONDS'] is deprecated: write MASA['CLAIM_LEASE'] = '10m'.")
               for text in found["masa.W010"])
    assert sorted(found["masa.W011"]) == [
        "MASA['NOTHING_LIKE_IT'] is not a Masa setting: it does nothing. Masa's settings are in docs/settings.md.",
        "MASA['PUBLIC_ULR'] is not a Masa setting: it does nothing. Did you mean PUBLIC_URL?"]


def test_the_test_sites_settings_pass_the_check():
    assert [m for m in conf.check_settings()
            if m.id in ("masa.E010", "masa.W010", "masa.W011", "masa.E011", "masa.W012")] == []


@pytest.mark.parametrize("limits, problem", [
    ("5m", "MASA['HEALTH_LIMITS'] is a str, not a dict of durations"),
    ([("worker_seen", "5m")], "MASA['HEALTH_LIMITS'] is a list, not a dict of durations"),
    ({"worker_seen": True}, "MASA['HEALTH_LIMITS']['worker_seen']: True is not a duration"),
    ({"worker_seen": "-5m"}, "MASA['HEALTH_LIMITS']['worker_seen']: '-5m' is not a duration"),
    ({"worker_seen": "1e9d"}, "MASA['HEALTH_LIMITS']['worker_seen']: '1e9d' is not a duration"),
    ({"worker_seen": {}}, "MASA['HEALTH_LIMITS']['worker_seen']: {} is not a duration"),
    ({"worker_seen": 1e12}, "MASA['HEALTH_LIMITS']['worker_seen']: 1000000000000.0 is longer than a century"),
])
def test_health_limits_of_the_wrong_shape_are_a_check_error_naming_the_limit(settings, limits, problem):
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": limits}
    errors = by_id(conf.check_settings())["masa.E010"]
    assert len(errors) == 1 and errors[0].startswith(problem)


def test_a_health_limit_name_that_is_no_limit_is_a_warning_with_the_close_one(settings):
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": {"worker_sen": "5m", "anything": "1m", "worker_seen": "5m"}}
    found = by_id(conf.check_settings())
    assert sorted(found["masa.W011"]) == [
        "MASA['HEALTH_LIMITS']['anything'] is not a health limit: it does nothing. The limits are worker_seen, "
        "oldest_unread_webhook, oldest_overdue_action.",
        "MASA['HEALTH_LIMITS']['worker_sen'] is not a health limit: it does nothing. Did you mean worker_seen?"]
    assert "masa.E010" not in found


def test_health_limits_none_keep_the_defaults_without_a_check_message(settings):
    settings.MASA = {**settings.MASA, "HEALTH_LIMITS": None}
    assert [m for m in conf.check_settings() if "HEALTH_LIMITS" in m.msg] == []


@pytest.mark.parametrize("token, check_id", [
    (12345678901234567890, "masa.E011"), (["a-long-random-token-in-a-list"], "masa.E011"),
    (b"a-long-random-token-as-bytes", "masa.E011"), ("", "masa.W012"), ("   \n", "masa.W012"),
    ("tiny-9", "masa.W012"), ("  fifteen-chars  ", "masa.W012"), ("a-long-random-token with spaces", "masa.W012"),
    ("a-long-random-token-pässwörd", "masa.W012"),
])
def test_a_metrics_token_that_is_no_text_or_blank_or_short_is_said_without_its_value(settings, token, check_id):
    settings.MASA = {**settings.MASA, "METRICS_TOKEN": token}
    found = [m for m in conf.check_settings() if m.id in ("masa.E011", "masa.W012")]
    assert [m.id for m in found] == [check_id]
    shown = f"{found[0].msg} {found[0].hint}"
    assert "MASA['METRICS_TOKEN']" in shown
    for secret in ("a-long-random-token", "tiny-9", "fifteen-chars", "1234567890", "spaces", "pässwörd"):
        assert secret not in shown


@pytest.mark.parametrize("token, read", [
    (None, None), ("", None), (" \n", None), (42, None), (b"token-as-bytes-0123", None),
    ("a-long-random-token\n", "a-long-random-token"), (" a-long-random-token ", "a-long-random-token"),
])
def test_the_metrics_token_is_read_without_the_whitespace_around_it_and_only_as_a_text(settings, token, read):
    settings.MASA = {**settings.MASA, "METRICS_TOKEN": token}
    assert conf.metrics_token() == read


def test_the_retry_backoff_is_read_in_words(settings):
    from masa.actions.due import retry_delay

    settings.MASA = {**settings.MASA, "SEND_RETRY_BASE": "2m"}
    assert timedelta(minutes=2) <= retry_delay(2) <= timedelta(minutes=4)


def test_the_cart_quiet_period_is_read_in_words(settings):
    from masa.actions.abandonment import quiet_period

    settings.MASA = {**settings.MASA, "CART_ABANDONED_AFTER": "2 hours"}
    assert quiet_period() == timedelta(hours=2)


def test_a_tracking_link_expires_after_a_max_age_in_words(settings, monkeypatch):
    from django.core import signing

    from masa import tracking

    settings.MASA = {**settings.MASA, "TRACKING_LINK_MAX_AGE": "1d"}
    value = tracking.token("rule:customer:1:step:1", "view")
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 86400 - 60)
    assert tracking.read(value, "view")
    monkeypatch.setattr(signing.time, "time", lambda: now + 86400 + 60)
    with pytest.raises(signing.SignatureExpired):
        tracking.read(value, "view")


@pytest.mark.parametrize("url", [
    "postgres://masa:pa#ss@db:5432/masa", "postgres://masa:12#45@db:5432/masa", "postgres://masa:se/cret@db:5432/masa",
    "postgres://masa:1?secret@db:5432/masa", "postgres://masa:secret@db:54x2/masa",
])
def test_a_database_url_cut_short_by_its_password_is_refused_without_showing_it(monkeypatch, url):
    with pytest.raises(ImproperlyConfigured) as refused:
        example_settings(monkeypatch, DATABASE_URL=url)
    assert str(refused.value) == ("DATABASE_URL cannot be read: percent-encode the user name and password "
                                  "(@ as %40, : as %3A, / as %2F, # as %23, ? as %3F, % as %25)")
    assert refused.value.__cause__ is None and refused.value.__context__ is None


def test_a_database_url_with_every_special_character_encoded_is_read(monkeypatch):
    site = example_settings(monkeypatch, DATABASE_URL=" postgres://ma%40sa:p%40%3A%2F%23%3F%25w@db:5432/shop%2Dx \n")
    database = site["DATABASES"]["default"]
    assert (database["USER"], database["PASSWORD"], database["HOST"], database["NAME"]) == \
        ("ma@sa", "p@:/#?%w", "db", "shop-x")


def test_an_empty_database_url_is_the_demo_on_sqlite(monkeypatch):
    site = example_settings(monkeypatch, DATABASE_URL="")
    assert site["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.mark.parametrize("name", ["EMAIL_PORT", "MASA_TRUSTED_PROXIES"])
def test_a_number_variable_that_is_no_number_is_refused_naming_it(monkeypatch, name):
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a whole number, not 'two'"):
        example_settings(monkeypatch, **{name: "two"})
    assert example_settings(monkeypatch, **{name: " "})["MASA"]["TRUSTED_PROXIES"] is None


@pytest.mark.parametrize("backend, warned", [
    ("django.core.cache.backends.locmem.LocMemCache", True), ("django.core.cache.backends.dummy.DummyCache", True),
    ("django.core.cache.backends.redis.RedisCache", False),
])
def test_celery_through_a_broker_with_a_cache_of_each_process_is_warned(settings, backend, warned):
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = "redis://127.0.0.1:6379/9", False
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/9"}}
    assert [m.id for m in conf.check_settings() if m.id == "masa.W013"] == (["masa.W013"] if warned else [])
    settings.MASA = {**settings.MASA, "WORKER": "embedded"}  # masa_worker evaluates: Celery wakes nothing
    assert [m for m in conf.check_settings() if m.id == "masa.W013"] == []


def test_celery_running_in_process_needs_no_shared_cache(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m for m in conf.check_settings() if m.id == "masa.W013"] == []
