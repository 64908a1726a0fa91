"""The admin's pack upgrade preview (issue 31): grouped items in the shop's words (ids only under
Details), messages as a diff side by side, a choice per conflict; the confirmation re-runs the
merge and refuses a choice for anything that is no conflict, a source other than the previewed one
or a forged token; the audit log records each item and choice; a subscription's waiting release
is previewed the same way and marked applied."""
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import MessageTemplate, PackSubscription, Rule, RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack

from ..helpers import denied, editor, in_hebrew, viewer
from ..packs.upgrade_fixtures import COFFEE, coffee
from .owner_words import engineer_words, visible_text

pytestmark = pytest.mark.django_db

WELCOME = "Hi {{ customer.first_name }}, thank you for your first order. Enjoy the beans."
NEWER = coffee(introduce_after="14d", welcome_body="Welcome, {{ customer.first_name }}! Enjoy the beans.",
               tips_body="Descale it every two months.")
URL = reverse("masa_pack_upgrade", args=["coffee"])
DELAY = "rule:coffee-introduce:steps[0].wait"
TEXT = "message:welcome:default:body"


@pytest.fixture
def edited(client):
    import_pack(load_pack(COFFEE, "coffee.yaml"))
    rule = Rule.objects.get(rule_id="coffee-introduce")
    rule.definition = {**rule.definition, "steps": [{"wait": "10d"}, rule.definition["steps"][1]]}
    rule.save()
    MessageTemplate.objects.filter(key="welcome", locale="").update(body=WELCOME.replace("Enjoy", "Love"))
    client.force_login(editor())
    return rule


def preview(client, source=NEWER):
    response = client.post(URL, {"source": source})
    assert response.status_code == 200
    return response


def confirm(client, response, **choices):
    data = {"confirm": "1", "source": response.context["source"], "filename": response.context["filename"],
            "token": response.context["token"], **{f"choice:{key}": value for key, value in choices.items()}}
    return client.post(URL, data, follow=True)


def test_the_preview_groups_items_in_words_with_messages_side_by_side_and_a_choice_per_conflict(client, edited):
    page = preview(client).content.decode()
    shown = " ".join(text.text for text in visible_text(page))
    assert shown.index("Messages") < shown.index("Rules")
    assert "You both changed this: you choose" in shown and "The pack changes this" in shown
    assert "Introduce the machines" in shown and "10 days" in shown and "2 weeks" in shown
    assert "<mark>thank you for your first order. Love</mark> the beans." in page and "<mark>Welcome,</mark>" in page
    assert "<del>" not in page and "<s>" not in page, "the shop's words are marked as differing, never struck through"
    assert f'name="choice:{TEXT}" value="shop" checked' in page and f'name="choice:{DELAY}" value="pack"' in page
    assert "coffee-introduce" not in shown, "ids only under the folded Details"
    assert engineer_words(page) == []
    assert RulePack.objects.get().version == "1.0.0", "a preview writes nothing"


def test_the_preview_in_hebrew_is_in_words_too(client, edited):
    client.force_login(in_hebrew(User.objects.get(username="edna")))
    page = preview(client).content.decode()
    assert 'dir="rtl"' in page and engineer_words(page) == []


def test_the_shops_choices_are_applied_and_logged(client, edited):
    response = preview(client)
    page = confirm(client, response, **{DELAY: "pack", TEXT: "shop"}).content.decode()
    assert "is now at version 1.1.0" in page
    assert Rule.objects.get(rule_id="coffee-introduce").definition["steps"][0] == {"wait": "14d"}
    assert MessageTemplate.objects.get(key="welcome", locale="").body == WELCOME.replace("Enjoy", "Love")
    assert MessageTemplate.objects.get(key="machine-tips", locale="").body == "Descale it every two months."
    entry = ModelLogEntry.objects.get(action="masa.pack.upgrade")
    assert entry.data["choices"] == {DELAY: "pack", TEXT: "shop"}
    logged = {item["id"]: item for item in entry.data["items"]}
    assert logged[DELAY]["applied"] == "pack" and logged["message:machine-tips:default:body"]["kind"] == "take"
    assert "Introduce the machines — Step 1: wait: yours 10 days, the pack's 2 weeks — you chose the pack's" in \
        logged[DELAY]["words"]


def test_a_choice_for_an_item_that_does_not_exist_is_refused(client, edited):
    response = preview(client)
    page = confirm(client, response, **{"rule:coffee-welcome:title": "pack"}).content.decode()
    assert "is not a conflict of this upgrade" in page and "The pack was not upgraded" in page
    assert RulePack.objects.get().version == "1.0.0"
    page = confirm(client, response, **{DELAY: "everything"}).content.decode()
    assert "each choice is" in page and RulePack.objects.get().version == "1.0.0"


def test_a_source_other_than_the_previewed_one_or_a_forged_token_is_refused(client, edited):
    response = preview(client)
    tampered = {"confirm": "1", "source": NEWER.replace("Descale it every two months.", "Visit evil.example"),
                "filename": "pack.yaml", "token": response.context["token"]}
    page = client.post(URL, tampered).content.decode()
    assert "changed since the preview" in page and RulePack.objects.get().version == "1.0.0"
    forged = {"confirm": "1", "source": NEWER, "filename": "pack.yaml", "token": "eyJwYWNrIjoiY29mZmVlIn0:forged"}
    assert "changed since the preview" in client.post(URL, forged).content.decode()
    assert RulePack.objects.get().version == "1.0.0"


def test_a_shop_edit_after_the_preview_asks_for_a_new_preview(client, edited):
    response = preview(client)
    MessageTemplate.objects.filter(key="machine-tips", locale="").update(body="Our own tips.")
    page = confirm(client, response).content.decode()
    assert "changed since the preview" in page and RulePack.objects.get().version == "1.0.0"


def test_a_subscriptions_waiting_release_is_previewed_and_marked_applied(client, edited):
    subscription = PackSubscription.objects.create(url="https://agency.example/coffee/pack.yaml", public_key="k",
                                                   pack_id="coffee", status="available", available_version="1.1.0",
                                                   available_source=NEWER)
    response = client.get(URL, {"subscription": subscription.pk})
    assert response.status_code == 200 and "Introduce the machines" in response.content.decode()
    assert f'name="subscription" value="{subscription.pk}"' in response.content.decode()
    data = {"confirm": "1", "source": NEWER, "filename": response.context["filename"],
            "token": response.context["token"], "subscription": subscription.pk}
    client.post(URL, data, follow=True)
    assert RulePack.objects.get().version == "1.1.0"
    subscription.refresh_from_db()
    assert (subscription.status, subscription.available_source) == ("up_to_date", "")


def test_another_packs_subscription_or_a_viewer_is_refused(client, edited):
    other = PackSubscription.objects.create(url="https://agency.example/other.yaml", public_key="k", pack_id="other",
                                            available_source=NEWER)
    assert client.get(URL, {"subscription": other.pk}).status_code == 404
    assert client.get(URL, {"subscription": "x"}).status_code == 404
    client.force_login(viewer())
    assert denied(client.get(URL, {"subscription": other.pk}))
