"""Packs → Pack subscriptions in the admin, as the editor (who may subscribe, check and
unsubscribe, and never to a private or plain-http address or with a key that did not sign the
release) and as a viewer (who sees, and can change nothing); a refused check under *Needs
attention*; a waiting release reviewed through the import preview before anything is written."""
import httpx
import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.admin.attention import attention
from masa.models import PackSubscription, RulePack
from masa.packs import signing, subscriptions

from ..helpers import denied, editor, in_hebrew, viewer
from ..packs.test_pack_subscriptions import URL, Agency, installed, release
from .owner_words import engineer_words, untranslated

pytestmark = pytest.mark.django_db
PAGE = "/admin/masa/packs/subscriptions/"


@pytest.fixture
def agency(monkeypatch):
    server = Agency()
    monkeypatch.setattr(subscriptions, "_transport", httpx.MockTransport(server.handler))
    return server


def subscribe(client, agency, url=URL, key=None, **extra):
    return client.post(PAGE, {"do": "subscribe", "url": url, "public_key": key or agency.public, **extra})


def test_the_editor_subscribes_and_is_offered_the_upgrade_preview(client, agency):
    installed("1.2.0")
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    response = subscribe(client, agency)
    subscription = PackSubscription.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#subscription-{subscription.pk}")
    assert (subscription.status, subscription.available_version, subscription.created_by) == ("available", "1.3.0",
                                                                                               "edna")
    assert ModelLogEntry.objects.filter(action="masa.pack.subscribe").exists()
    page = client.get(PAGE).content.decode()
    assert "Version <bdi>1.3.0</bdi> is available." in page
    review = reverse("masa_pack_upgrade", kwargs={"pack_id": "coffee-refill"}) + f"?subscription={subscription.pk}"
    assert f'href="{review}"' in page and "Review the upgrade" in page
    assert RulePack.objects.get().version == "1.2.0"
    assert not engineer_words(page)


def test_a_pack_not_installed_yet_is_imported_through_the_import_preview(client, agency):
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    subscribe(client, agency)
    subscription = PackSubscription.objects.get()
    page = client.get(PAGE).content.decode()
    review = reverse("masa_pack_import") + f"?subscription={subscription.pk}"
    assert f'href="{review}"' in page and "Version <bdi>1.3.0</bdi> is ready to import." in page
    preview = client.get(review).content.decode()
    assert "Import the pack" in preview and "Beans refill" in preview
    assert not RulePack.objects.exists()
    client.post(reverse("masa_pack_import"), {"confirm": "1", "source": subscription.available_source})
    assert RulePack.objects.get().version == "1.3.0"
    client.get(PAGE)
    assert PackSubscription.objects.get().status == "up_to_date"


@pytest.mark.parametrize("url", ["http://127.0.0.1/pack.yaml", "https://127.0.0.1/pack.yaml",
                                 "https://localhost:8000/pack.yaml", "https://10.1.2.3/pack.yaml",
                                 "http://agency.example/pack.yaml", "ftp://agency.example/pack.yaml"])
def test_the_editor_cannot_subscribe_to_a_private_or_insecure_address(client, agency, url):
    client.force_login(editor())
    response = subscribe(client, agency, url=url)
    assert response.status_code == 200 and "w-field--error" in response.content.decode()
    assert not PackSubscription.objects.exists() and agency.requests == []


def test_a_private_signature_address_is_refused_too(client, agency):
    client.force_login(editor())
    response = subscribe(client, agency, signature_url="https://192.168.1.1/pack.yaml.sig")
    assert "inside your own network" in response.content.decode()
    assert not PackSubscription.objects.exists() and agency.requests == []


def test_a_key_that_did_not_sign_the_release_subscribes_nothing(client, agency):
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    response = subscribe(client, agency, key=signing.generate()[1])
    page = response.content.decode()
    assert response.status_code == 200 and "Not subscribed" in page and "not signed with the agency" in page
    assert not PackSubscription.objects.exists()


def test_what_is_not_a_key_is_refused_and_a_pem_key_is_pinned_as_the_same_key(client, agency):
    from cryptography.hazmat.primitives import serialization

    agency.publish(release("1.3.0"))
    client.force_login(editor())
    for junk in ("hello", "<script>alert(1)</script>", "AAAA" * 20):
        response = subscribe(client, agency, key=junk)
        assert "not an agency&#x27;s public key" in response.content.decode()
        assert "<script>alert" not in response.content.decode()
    pem = agency.key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    subscribe(client, agency, key=pem)
    assert PackSubscription.objects.get().public_key == agency.public


def test_the_same_address_twice_asks_to_unsubscribe_first(client, agency):
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    subscribe(client, agency)
    response = subscribe(client, agency, key=signing.generate()[1])
    assert "unsubscribe first" in response.content.decode()
    assert PackSubscription.objects.get().public_key == agency.public


def test_an_unreachable_address_subscribes_and_shows_under_needs_attention(client, agency):
    client.force_login(editor())
    subscribe(client, agency)            # the agency answers 404: nothing published yet
    subscription = PackSubscription.objects.get()
    assert subscription.status == "unreachable"
    assert attention().pack_subscriptions == 1 and attention().total == 1
    page = client.get(reverse("masa_failures")).content.decode()
    assert "The address could not be reached." in page
    assert f'href="{PAGE}#subscription-{subscription.pk}"' in page and "Open the subscription" in page


def test_check_now_and_unsubscribe(client, agency):
    installed("1.2.0")
    agency.publish(release("1.3.0"))
    client.force_login(editor())
    subscribe(client, agency)
    subscription = PackSubscription.objects.get()
    agency.publish(release("1.1.0"))
    client.post(PAGE, {"do": "check", "subscription": subscription.pk})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.problem) == ("refused", "downgrade")
    page = client.get(PAGE).content.decode()
    assert "The address offers an older version than the one you have." in page
    assert "Version <bdi>1.3.0</bdi>, checked before, is still waiting for you." in page
    assert not engineer_words(page)
    failures = client.get(reverse("masa_failures")).content.decode()
    assert "Coffee refills" in failures and "older version" in failures
    client.post(PAGE, {"do": "unsubscribe", "subscription": subscription.pk})
    assert not PackSubscription.objects.exists() and RulePack.objects.get().version == "1.2.0"
    assert ModelLogEntry.objects.filter(action="masa.pack.unsubscribe").exists()
    assert attention().total == 0


def test_a_viewer_sees_subscriptions_and_can_change_nothing(client, agency):
    agency.publish(release("1.3.0"))
    subscription = PackSubscription.objects.create(url=URL, public_key=agency.public)
    client.force_login(viewer())
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Check now" not in page.content.decode() and 'name="public_key"' not in page.content.decode()
    for data in ({"do": "subscribe", "url": "https://other.example/p.yaml", "public_key": agency.public},
                 {"do": "check", "subscription": subscription.pk},
                 {"do": "unsubscribe", "subscription": subscription.pk}):
        assert denied(client.post(PAGE, data))
    assert denied(client.get(reverse("masa_pack_import") + f"?subscription={subscription.pk}"))
    assert list(PackSubscription.objects.values_list("url", "last_checked_at")) == [(URL, None)]
    assert agency.requests == []


def test_every_state_of_a_subscription_reads_in_hebrew_with_no_english_left(client, agency):
    """Offered, refused (each reason an owner can meet here) and unreachable, on the page and under
    Needs attention: Hebrew words, the pack's names and addresses isolated."""
    installed("1.2.0")
    agency.publish(release("1.3.0"))
    client.force_login(in_hebrew(editor()))
    subscribe(client, agency)
    for number, problem in enumerate(subscriptions.PROBLEMS):
        PackSubscription.objects.create(url=f"https://agency.example/{number}/pack.yaml", public_key=agency.public,
                                        status="unreachable" if problem in ("too_slow", "unreachable") else "refused",
                                        problem=problem, last_error="what it met, in English", pack_id="coffee-refill")
    for url in (PAGE, reverse("masa_failures")):
        page = client.get(url).content.decode()
        assert "dir=\"rtl\"" in page and not untranslated(page), (url, untranslated(page)[:12])
        assert not engineer_words(page)
