"""Issue 28, items 5 and 8: the App register endpoint takes only a token the store says is Masa's
(the headers are the caller's), and no published or weak key signs links or encrypts stored
tokens on a site with DEBUG off. Saleor is faked at the httpx edge (tests/saleor_fake.py)."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from masa.models import InboundDelivery, SaleorApp
from masa.saleor import client as saleor_client
from masa.saleor import installation

from ..helpers import customer_payload, editor, post_webhook, typename_for, viewer
from ..saleor_fake import schema_problems

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHOP, SHOP_API = "shop.example.com", "https://shop.example.com/graphql/"
MASA_APP = {"app": {"id": "QXBwOjc=", "identifier": installation.APP_ID}, "shop": {"domain": {"host": SHOP}}}
# Another app of the same store (e.g. an analytics app whose token leaked), as Saleor answers for its token.
OTHER_APP = {"app": {"id": "QXBwOjk=", "identifier": "com.example.analytics"}, "shop": {"domain": {"host": SHOP}}}
STRONG_KEY = "k" * 20 + "A-strong-enough-key-for-these-tests-0123456789"


@pytest.fixture
def allowed_shop(settings):
    settings.MASA = {**settings.MASA, "SALEOR_APP_API_URLS": [SHOP_API], "PUBLIC_URL": "https://cms.shop.example"}


def install(client, token, domain=SHOP, api_url=SHOP_API):
    return client.post(reverse("masa:saleor-register"), data=json.dumps({"auth_token": token}),
                       content_type="application/json", HTTP_SALEOR_API_URL=api_url, HTTP_SALEOR_DOMAIN=domain)


@pytest.fixture
def saleor_by_token(monkeypatch):
    """A fake Saleor that answers each token as its app would (``masa_token=`` for "masa-token"):
    what ``app`` and ``shop`` are for it, or an ``httpx.Response``; an unknown token gets 401.
    Documents are validated against Saleor's schema first."""
    def serve(**by_token):
        def call(request):
            body = json.loads(request.content)
            assert not schema_problems(body["query"], body["variables"])
            token = request.headers.get("authorization", "").removeprefix("Bearer ").replace("-", "_")
            found = by_token.get(token)
            if isinstance(found, httpx.Response):
                return found
            if found is None:
                return httpx.Response(401, json={"errors": [{"message": "Invalid token"}]})
            # Fields of app_webhooks.graphql too, so that code asking with it fails on what a test checks.
            return httpx.Response(200, json={"data": {**found, "app": {**found["app"], "name": "x", "webhooks": []}}})
        monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", httpx.MockTransport(call))
    return serve


# 5 ─ the register endpoint accepts only Masa's token, and takes no domain from a header


def test_another_apps_token_of_an_allowed_store_is_refused(client, allowed_shop, saleor_by_token):
    saleor_by_token(other_token=OTHER_APP)
    response = install(client, "other-token")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_this_app"
    assert not SaleorApp.objects.exists()
    assert InboundDelivery.objects.get().reason.startswith("install_not_this_app")


def test_the_domain_is_the_stores_own_not_the_callers_header(client, allowed_shop, saleor_by_token):
    saleor_by_token(masa_token=MASA_APP)
    response = install(client, "masa-token", domain="evil.example")
    assert response.status_code == 200 and response.json()["domain"] == SHOP
    assert SaleorApp.objects.get().domain == SHOP


def test_a_configured_stores_domain_wins_over_what_is_answered(client, settings, saleor_by_token):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [{"domain": "shop.example.com:443", "api_url": SHOP_API}]}
    saleor_by_token(masa_token={**MASA_APP, "shop": {"domain": {"host": "elsewhere.example"}}})
    assert install(client, "masa-token", domain="evil.example").status_code == 200
    assert SaleorApp.objects.get().domain == "shop.example.com:443"


def test_the_issues_attack_leaves_the_install_and_its_webhooks_alone(client, allowed_shop, saleor_by_token, signer,
                                                                       key_server):
    """Another app's token of the allowed store and a made-up Saleor-Domain: the install (token,
    app id, domain) stays, and the real store's signed webhooks are still accepted."""
    key_server.jwks = signer.jwks
    saleor_by_token(masa_token=MASA_APP, other_token=OTHER_APP)
    assert install(client, "masa-token").status_code == 200
    attack = install(client, "other-token", domain="made-up.example")
    assert attack.status_code == 403
    app = SaleorApp.objects.get()
    assert (app.domain, app.app_id, installation.token_of(app)) == (SHOP, "QXBwOjc=", "masa-token")
    body = json.dumps({"__typename": typename_for("customer_created"), **customer_payload()}).encode()
    answer = post_webhook(client, body, signer.headers("customer_created", body, SHOP, SHOP_API))
    assert answer.status_code == 200, answer.content


def test_a_second_masa_app_waits_until_the_store_refuses_the_installed_ones_token(client, allowed_shop,
                                                                                   saleor_by_token):
    second = {**MASA_APP, "app": {"id": "QXBwOjEw", "identifier": installation.APP_ID}}
    saleor_by_token(masa_token=MASA_APP, second_token=second)
    assert install(client, "masa-token").status_code == 200
    refused = install(client, "second-token", domain="made-up.example")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_installed"
    app = SaleorApp.objects.get()
    assert (app.app_id, installation.token_of(app)) == ("QXBwOjc=", "masa-token")

    saleor_by_token(second_token=second)  # the first app was removed: Saleor refuses its token now
    assert install(client, "second-token").status_code == 200
    app = SaleorApp.objects.get()
    assert (app.app_id, installation.token_of(app), app.domain) == ("QXBwOjEw", "second-token", SHOP)


def test_an_unreachable_store_replaces_nothing(client, allowed_shop, saleor_by_token):
    second = {**MASA_APP, "app": {"id": "QXBwOjEw", "identifier": installation.APP_ID}}
    saleor_by_token(masa_token=MASA_APP)
    install(client, "masa-token")
    saleor_by_token(second_token=second, masa_token=httpx.Response(503, json={"errors": [{"message": "down"}]}))
    refused = install(client, "second-token")
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "store_unavailable"
    assert installation.token_of(SaleorApp.objects.get()) == "masa-token"


# 8 ─ no published or weak key with DEBUG off; the token keys are their own setting, with rotation


def deploy_errors() -> str:
    """What ``manage.py check --deploy`` fails with ("" when it passes)."""
    try:
        call_command("check", deploy=True, stdout=io.StringIO(), stderr=io.StringIO())
    except SystemCheckError as failure:
        return str(failure)
    return ""


@pytest.mark.parametrize("key", ["masa-example-not-secret",
                                 "django-insecure-" + "a1b2c3d4e5" * 5,
                                 "short-but-random-9f8e7d",
                                 "abab" * 20])
def test_check_deploy_fails_on_a_published_or_weak_key_with_debug_off(settings, key):
    settings.DEBUG, settings.SECRET_KEY = False, key
    errors = deploy_errors()
    assert "masa.E002" in errors and "DJANGO_SECRET_KEY" in errors and "TOKEN_ENCRYPTION_KEYS" in errors
    settings.DEBUG = True
    assert "masa.E002" not in deploy_errors()


def test_a_weak_fallback_key_fails_too_and_a_strong_key_passes(settings):
    settings.DEBUG, settings.SECRET_KEY = False, STRONG_KEY
    assert "masa.E00" not in deploy_errors()
    settings.SECRET_KEY_FALLBACKS = ["masa-example-not-secret"]
    assert "masa.E003" in deploy_errors()


def test_the_journeys_panel_says_what_to_set(client, settings):
    settings.DEBUG, settings.SECRET_KEY = False, "masa-example-not-secret"
    client.force_login(editor())
    page = client.get("/admin/").content.decode()
    assert "SECRET_KEY is a published or weak key" in page and "DJANGO_SECRET_KEY" in page


def run_example(*args, **env):
    """``example/manage.py`` in a new process, the environment without the demo's or tests' key."""
    clean = {name: value for name, value in os.environ.items()
             if name not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run([sys.executable, str(ROOT / "example" / "manage.py"), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**clean, "MASA_DB": "sqlite", **env})


def test_the_example_site_publishes_no_key_and_defaults_to_debug_off(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    unset = run_example("check", "--deploy", MASA_SQLITE_PATH=database)
    assert unset.returncode != 0 and "DJANGO_SECRET_KEY" in unset.stderr
    published = run_example("check", "--deploy", MASA_SQLITE_PATH=database, DJANGO_SECRET_KEY="masa-example-not-secret")
    assert published.returncode != 0 and "masa.E002" in published.stderr, published.stderr[-2000:]


def test_token_keys_rotate_old_keys_decrypt_new_writes_use_the_first(client, allowed_shop, settings,
                                                                       saleor_by_token):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": [old]}
    saleor_by_token(masa_token=MASA_APP)
    install(client, "masa-token")
    stored = SaleorApp.objects.get().token_encrypted
    assert Fernet(old).decrypt(stored.encode()) == b"masa-token"

    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": [new, old]}
    assert installation.token_of(SaleorApp.objects.get()) == "masa-token"
    assert installation.credentials(SHOP) == (SHOP_API, "masa-token")
    saleor_by_token(masa_token=MASA_APP)
    install(client, "masa-token")
    assert Fernet(new).decrypt(SaleorApp.objects.get().token_encrypted.encode()) == b"masa-token"


def test_tokens_stored_before_a_key_was_set_still_decrypt_and_can_be_rewritten(client, allowed_shop, settings,
                                                                                 saleor_by_token):
    saleor_by_token(masa_token=MASA_APP)
    install(client, "masa-token")  # no key set: a key derived from SECRET_KEY
    new = Fernet.generate_key().decode()
    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": [new]}
    assert installation.token_of(SaleorApp.objects.get()) == "masa-token"
    assert installation.reencrypt_tokens() == 1
    assert Fernet(new).decrypt(SaleorApp.objects.get().token_encrypted.encode()) == b"masa-token"


def test_a_store_whose_token_no_key_decrypts_shows_as_needing_reinstall(client, allowed_shop, settings,
                                                                          saleor_by_token):
    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    saleor_by_token(masa_token=MASA_APP)
    install(client, "masa-token")
    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    with pytest.raises(installation.NeedsReinstall):
        installation.token_of(SaleorApp.objects.get())
    client.force_login(viewer())
    page = client.get(reverse("masa_saleor_stores")).content.decode()
    assert "Needs reinstall" in page and "Install Masa again from the Saleor dashboard" in page


def test_a_token_key_that_is_not_a_fernet_key_is_a_startup_error(settings):
    settings.MASA = {**settings.MASA, "TOKEN_ENCRYPTION_KEYS": ["not-a-fernet-key"]}
    with pytest.raises(SystemCheckError, match="masa.E004"):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
