"""The upgrade preview page as the shop owner met it (issue 31, fix round): a short page title with
the installed → new version in the body; a rule the pack drops offers choices that each say what
they do, and the chosen one is applied as said; a message's two sides each read as themselves (what
differs marked on both, nothing struck through, escaped); a map value one line per entry in words;
a rule saved as a draft said to be outside the upgrade — in English and Hebrew."""
import re

import pytest
import yaml
from django.contrib.auth.models import User
from django.urls import reverse

from masa.models import MessageTemplate, Rule, RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack

from ..helpers import editor, in_hebrew
from ..packs.test_upgrade_items_say_what_happens import waiting_in, with_values, without_introduce
from .owner_words import engineer_words, visible_text

pytestmark = pytest.mark.django_db

URL = reverse("masa_pack_upgrade", args=["coffee"])


@pytest.fixture
def shop(client):
    """Installed 1.0.0; the shop renamed the introduce rule (1 customer waits in it), edited the
    welcome text with markup-like words, set two per-product periods and saved a draft of Welcome."""
    import_pack(load_pack(with_values(), "coffee.yaml"))
    Rule.objects.filter(rule_id="coffee-introduce").update(title="Our machines")
    waiting_in("coffee-introduce", count=1)
    MessageTemplate.objects.filter(key="welcome", locale="").update(
        body="Hi {{ customer.first_name }}, <b>thank you</b> for your first order. Love the beans.")
    installed = RulePack.objects.get(pack_id="coffee")
    installed.parameter_values = {"pad_periods": {"night-pants-l": "60d", "pads-xl": "45d"}}
    installed.save()
    welcome = Rule.objects.get(rule_id="coffee-welcome")
    welcome.title = "Welcome (draft)"
    welcome.save_revision()
    client.force_login(editor())
    return client


def _newer():
    """1.1.0: drops the introduce rule, rewords the welcome text."""
    doc = yaml.safe_load(without_introduce())
    doc["parameters"] = yaml.safe_load(with_values("1.1.0"))["parameters"]
    doc["templates"]["welcome"]["body"] = "Hi {{ customer.first_name }}, welcome aboard. Enjoy the beans."
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def preview(client):
    response = client.post(URL, {"source": _newer()})
    assert response.status_code == 200
    return response


def test_the_preview_says_what_each_choice_does_with_a_short_title_and_the_versions_in_the_body(shop):
    response = preview(shop)
    page = response.content.decode()
    title = " ".join(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).split())
    assert title == "Upgrade \u2068Coffee shop\u2069", "short enough for Wagtail's header on a phone"
    shown = " ".join(text.text for text in visible_text(page))
    assert "Installed now: version 1.0.0 → the new version: 1.1.0" in shown
    assert "Keep mine: your version stays on, and later versions of the pack leave it alone" in shown
    assert "Take the pack's: turned off and kept for its history; the 1 customer waiting in it gets nothing more" in shown
    assert "night-pants-l: 60 days" in shown and "pads-xl: 45 days" in shown and "60d" not in shown
    assert "You have an unpublished draft of “Welcome”" in shown
    assert "<del>" not in page and "<ins>" not in page, "the shop's words are never struck through"
    assert "&lt;b&gt;thank you&lt;/b&gt;" in page.replace("<mark>", "").replace("</mark>", ""), "escaped"
    assert "<mark>" in page
    assert not engineer_words(page)


def test_choosing_the_packs_side_of_the_dropped_rule_on_the_page_turns_it_off_as_said(shop):
    response = preview(shop)
    data = {"confirm": "1", "source": response.context["source"], "filename": response.context["filename"],
            "token": response.context["token"], "choice:rule:coffee-introduce": "pack"}
    shop.post(URL, data, follow=True)
    assert RulePack.objects.get().version == "1.1.0"
    rule = Rule.objects.get(rule_id="coffee-introduce")
    assert not rule.enabled, "turned off and kept for its history, as the choice said"


def test_keeping_mine_on_the_page_keeps_the_dropped_rule_on_as_said(shop):
    response = preview(shop)
    data = {"confirm": "1", "source": response.context["source"], "filename": response.context["filename"],
            "token": response.context["token"]}
    shop.post(URL, data, follow=True)
    assert RulePack.objects.get().version == "1.1.0"
    assert Rule.objects.get(rule_id="coffee-introduce").enabled, "your version stays on, as the choice said"


def test_the_preview_in_hebrew_says_the_versions_and_isolates_names(shop):
    shop.force_login(in_hebrew(User.objects.get(username="edna")))
    page = preview(shop).content.decode()
    shown = " ".join(text.text for text in visible_text(page))
    assert "1.0.0" in shown and "1.1.0" in shown
    assert "60d" not in shown and "night-pants-l" in shown
    assert not engineer_words(page)
