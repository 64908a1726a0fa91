"""Adding a channel (issue 30, item 3): the kind and provider first, in words; then that provider's
labelled settings, declared beside its code; nothing saved while one is missing (the missing ones
named); values checked; a test to oneself from the same page; channels made from config JSON
open in the form with their values, and what an agency wrote by hand is kept."""
import html
from unittest.mock import ANY
import re

import httpx
import pytest
from django.urls import reverse

from masa.channels import backends
from masa.models import Channel

from ..helpers import editor

pytestmark = pytest.mark.django_db

ADD = "wagtailsnippets_masa_channel:add"
TWILIO = {"name": "Shop SMS", "enabled": "on", "kind": "sms", "provider": "twilio",
          "setting_account_sid": "AC0123456789abcdef0123456789abcdef", "setting_auth_token": "tw-secret-9",
          "setting_from_number": "+972 50-123-4567"}


def text(response) -> str:
    """The page's words: tags and Unicode's bidi isolates around data left out."""
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    return re.sub("[\u2066-\u2069]", "", words)


@pytest.fixture
def owner(client):
    client.force_login(editor())
    return client


def test_adding_a_channel_starts_by_choosing_its_kind_and_provider_in_words(owner):
    response = owner.get(reverse(ADD))
    page = text(response)
    assert "What kind of channel is it?" in page
    for words in ("Email", "Messages by email, from your shop's address.", "SMS", "Twilio", "Another SMS provider",
                  "Signed webhook"):
        assert words in page
    assert f'href="{reverse(ADD)}?kind=sms&amp;provider=twilio"' in response.content.decode()
    form = text(owner.get(reverse(ADD) + "?kind=sms&provider=twilio"))
    assert "SMS through Twilio" in form and "Account SID" in form and "Sender's phone number" in form
    assert "Config" not in form and "NAME=value" not in form


@pytest.mark.parametrize("kind,provider", [(kind, p.key) for kind, backend in sorted(backends().items())
                                           for p in backend.available_providers()])
def test_saving_a_channel_with_nothing_filled_in_is_refused(owner, kind, provider):
    response = owner.post(reverse(ADD), {"name": f"{kind} {provider}", "enabled": "on", "kind": kind, "provider": provider})
    assert response.status_code == 200
    assert "Not saved: these settings are missing." in text(response)
    assert not Channel.objects.exists()


def test_an_sms_channel_with_settings_missing_is_refused_naming_them(owner):
    response = owner.post(reverse(ADD), {**TWILIO, "setting_auth_token": "", "setting_from_number": ""})
    page = text(response)
    assert "Enter your Twilio auth token" in page and "Enter the sender's phone number" in page
    assert "Enter your Twilio Account SID" not in page
    assert not Channel.objects.exists()


def test_a_complete_twilio_channel_is_saved_as_settings_and_write_only_secrets(owner):
    response = owner.post(reverse(ADD), TWILIO)
    channel = Channel.objects.get()
    assert response.status_code == 302 and response.url == reverse("wagtailsnippets_masa_channel:edit", args=[channel.pk])
    assert channel.kind == "sms" and channel.enabled
    assert channel.config == {"provider": "twilio", "account_sid": TWILIO["setting_account_sid"],
                              "from_number": "+972501234567"}
    assert channel.secrets == {"auth_token": "tw-secret-9"}
    assert "tw-secret-9" not in owner.get(response.url).content.decode()


@pytest.mark.parametrize("field,value,says", [
    ("setting_from_number", "050-1234567", "international form"),
    ("setting_from_number", "+972", "international form"),
    ("setting_base_url", "http://127.0.0.1:8000/", "public web address"),
    ("setting_base_url", "ftp://twilio.example/", "public web address"),
])
def test_values_are_checked(owner, field, value, says):
    page = text(owner.post(reverse(ADD), {**TWILIO, field: value}))
    assert says in page
    assert not Channel.objects.exists()


def test_a_sender_name_is_accepted_where_a_provider_allows_one(owner):
    owner.post(reverse(ADD), {**TWILIO, "setting_from_number": "MyShop"})
    assert Channel.objects.get().config["from_number"] == "MyShop"


def test_an_email_sender_must_be_an_email_address(owner):
    data = {"name": "Mail", "enabled": "on", "kind": "email", "provider": "site", "setting_from_email": "care at shop"}
    assert "Enter an email address" in text(owner.post(reverse(ADD), data))
    owner.post(reverse(ADD), {**data, "setting_from_email": "care@shop.example"})
    assert Channel.objects.get().config == {"from_email": "care@shop.example"}


def test_a_webhook_address_inside_the_network_is_refused_at_save(owner):
    data = {"name": "Hook", "enabled": "on", "kind": "webhook", "provider": "webhook",
            "setting_url": "http://10.0.0.7/hook", "setting_signing_secret": "s3cret"}
    assert "public web address" in text(owner.post(reverse(ADD), data))
    owner.post(reverse(ADD), {**data, "setting_url": "https://hooks.example/in"})
    hook = Channel.objects.get()
    assert hook.config == {"url": "https://hooks.example/in"} and hook.secrets == {"signing_secret": "s3cret"}


def test_save_and_send_a_test_sends_to_ones_own_number_from_the_same_page(owner, provider):
    response = owner.post(reverse(ADD), {**TWILIO, "test_to": "+972 54 000 1111", "masa-test": "1"}, follow=True)
    channel = Channel.objects.get()
    page = text(response)
    assert "A test went to +972540001111" in page and "Save and send a test" in page
    sent = provider.requests[-1]
    assert f"/Accounts/{TWILIO['setting_account_sid']}/Messages.json" in str(sent.url)
    assert "To=%2B972540001111" in sent.content.decode() and "From=%2B972501234567" in sent.content.decode()
    assert Channel.objects.get(pk=channel.pk).last_success_at is not None


def test_save_and_send_a_test_needs_ones_own_number(owner, provider):
    page = text(owner.post(reverse(ADD), {**TWILIO, "test_to": "", "masa-test": "1"}))
    assert "Enter your phone number in international form" in page
    assert not Channel.objects.exists() and not provider.requests


def test_a_failing_test_from_the_form_says_so_and_keeps_the_channel(owner, provider):
    provider.answers = [httpx.Response(401, text="bad token")]
    page = text(owner.post(reverse(ADD), {**TWILIO, "test_to": "+972540001111", "masa-test": "1"}, follow=True))
    assert "The test did not go through" in page and "401 Unauthorized" in page
    assert Channel.objects.get().last_error.startswith("test send: 401")


def test_a_channel_made_from_config_json_opens_with_its_values(owner, email_channel):
    page = owner.get(reverse("wagtailsnippets_masa_channel:edit", args=[email_channel.pk])).content.decode()
    assert 'value="care@shop.example"' in page and "This site&#x27;s email" in page
    response = owner.post(reverse("wagtailsnippets_masa_channel:edit", args=[email_channel.pk]),
                          {"name": email_channel.name, "enabled": "on", "provider": "site",
                           "setting_from_email": "care@shop.example"})
    assert response.status_code == 302
    assert Channel.objects.get(pk=email_channel.pk).config == {"from_email": "care@shop.example"}


def test_what_an_agency_wrote_is_kept_and_shown_only_folded_away(owner):
    sms = Channel.objects.create(name="Agency SMS", kind="sms", secrets={"token": "t"}, config={
        "url": "https://sms.example/send", "from_number": "+972501112222", "to_field": "phone", "batch": 7})
    edit = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    page = owner.get(edit).content.decode()
    agencies = page.split('class="masa-channel-agencies"', 1)[1].split("</details>", 1)[0]
    assert 'value="phone"' in agencies and "&quot;batch&quot;: 7" in agencies
    owner.post(edit, {"name": sms.name, "enabled": "on", "provider": "http", "setting_url": "https://sms.example/send",
                      "setting_from_number": "+972501112222", "setting_to_field": "phone"})
    assert Channel.objects.get(pk=sms.pk).config == {"provider": "http", "url": "https://sms.example/send",
                                                     "from_number": "+972501112222", "to_field": "phone", "batch": 7}
    assert Channel.objects.get(pk=sms.pk).secrets == {"token": "t", "inbound_token": ANY}  # made when left empty


def test_a_channel_no_provider_recognises_keeps_its_settings(owner):
    odd = Channel.objects.create(name="Test ESP", kind="email", config={"backend": "anymail.backends.test.EmailBackend"},
                                 secrets={"api_key": "k"})
    edit = reverse("wagtailsnippets_masa_channel:edit", args=[odd.pk])
    assert "set up by an agency" in text(owner.get(edit))
    assert owner.post(edit, {"name": odd.name, "enabled": "on", "provider": "custom"}).status_code == 302
    odd.refresh_from_db()
    assert odd.config == {"backend": "anymail.backends.test.EmailBackend"} and odd.secrets == {"api_key": "k"}


def test_changing_the_provider_asks_for_its_settings_and_drops_the_old_ones(owner):
    sms = Channel.objects.create(name="SMS", kind="sms", secrets={"token": "old"},
                                 config={"url": "https://sms.example/send", "from_number": "+972501112222"})
    choose = owner.get(reverse("masa_channel_providers", args=[sms.pk])).content.decode()
    edit = reverse("wagtailsnippets_masa_channel:edit", args=[sms.pk])
    assert f'href="{edit}?provider=twilio"' in choose
    form = text(owner.get(edit + "?provider=twilio"))
    assert "SMS through Twilio" in form and "Set — leave blank" not in form
    refused = text(owner.post(edit, {"name": "SMS", "enabled": "on", "provider": "twilio",
                                     "setting_account_sid": "AC1", "setting_from_number": "+972501112222"}))
    assert "Enter your Twilio auth token" in refused
    owner.post(edit, {"name": "SMS", "enabled": "on", "provider": "twilio", "setting_account_sid": "AC1",
                      "setting_auth_token": "new", "setting_from_number": "+972501112222"})
    sms.refresh_from_db()
    assert sms.config == {"provider": "twilio", "account_sid": "AC1", "from_number": "+972501112222"}
    assert sms.secrets == {"auth_token": "new"}


def test_a_hand_written_secret_the_backend_may_not_use_is_refused_at_save(owner):
    odd = Channel.objects.create(name="Files", kind="email", config={"from_email": "a@shop.example"},
                                 secrets={"file_path": "/tmp/x"})
    response = owner.post(reverse("wagtailsnippets_masa_channel:edit", args=[odd.pk]),
                          {"name": odd.name, "enabled": "on", "provider": "site", "setting_from_email": "a@shop.example"})
    assert response.status_code == 200 and "These settings are refused" in text(response)


def test_the_list_says_kind_and_health_in_words(owner):
    from django.utils import timezone

    now = timezone.now()
    Channel.objects.create(name="Twilio SMS", kind="sms", config={"provider": "twilio"}, last_error_at=now,
                           last_error="503 Service Unavailable")
    Channel.objects.create(name="Mail", kind="email", last_success_at=now)
    Channel.objects.create(name="Hook", kind="webhook", consecutive_failures=3,
                           circuit_open_until=now + timezone.timedelta(minutes=10))
    page = text(owner.get(reverse("wagtailsnippets_masa_channel:list")))
    for words in ("SMS · Twilio", "Not working: the last try", "Email · This site's email", "Working: last sent",
                  "Signed webhook", "Paused until", "3 failures in a row"):
        assert words in page
    assert "Circuit" not in page and "True" not in page
