"""Listings an owner reads say words, not Python values or ids: a channel is "On"/"Off"
(translated), not ``True``; a rule's pack and a pack on the packs page are shown by title."""
import html
import re

import pytest
from django.urls import reverse

from masa.models import Channel, Rule, RulePack

from ..helpers import editor, in_hebrew, viewer

pytestmark = pytest.mark.django_db


def test_the_channels_list_says_on_and_off_not_true_and_false(client):
    Channel.objects.create(name="Shop email", kind=Channel.Kind.EMAIL, enabled=True,
                           config={"from_email": "care@shop.example"})
    Channel.objects.create(name="Old SMS", kind=Channel.Kind.EMAIL, enabled=False,
                           config={"from_email": "old@shop.example"})
    client.force_login(viewer())
    page = client.get(reverse("wagtailsnippets_masa_channel:list")).content.decode()
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]
    assert "On" in cells and "Off" in cells
    assert "True" not in cells and "False" not in cells


def test_the_channels_list_says_on_and_off_in_hebrew(client):
    Channel.objects.create(name="Shop email", kind=Channel.Kind.EMAIL, enabled=True,
                           config={"from_email": "care@shop.example"})
    client.force_login(in_hebrew(viewer()))
    page = client.get(reverse("wagtailsnippets_masa_channel:list")).content.decode()
    assert "פועל" in page and ">True<" not in page


@pytest.fixture
def packed_rules(db):
    RulePack.objects.create(pack_id="senior-care", title="Senior care", version="1.0.0")
    Rule.objects.create(rule_id="checkin", title="Monthly check-in", pack="senior-care",
                        definition={"trigger": {"event": "order_placed"}, "steps": []})
    Rule.objects.create(rule_id="mine", title="My own note", pack="local",
                        definition={"trigger": {"event": "order_placed"}, "steps": []})


def rule_list_cells(client):
    page = client.get(reverse("wagtailsnippets_masa_rule:list")).content.decode()
    return page, [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip())
                  for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]


def test_the_rules_list_shows_the_packs_title_not_its_id(client, packed_rules):
    client.force_login(viewer())
    page, cells = rule_list_cells(client)
    assert "Senior care" in cells and "This shop's own rules" in cells
    assert "senior-care" not in cells and "local" not in cells
    filter_options = re.findall(r'<option value="senior-care"[^>]*>([^<]*)</option>', page)
    assert filter_options and all("Senior care" in option for option in filter_options)
    by_pack = client.get(reverse("wagtailsnippets_masa_rule:list"), {"pack": "senior-care"}).content.decode()
    assert "Monthly check-in" in by_pack and "My own note" not in by_pack


def test_a_pack_without_a_record_falls_back_to_its_id(client, packed_rules):
    Rule.objects.create(rule_id="stray", title="Stray rule", pack="gone-pack",
                        definition={"trigger": {"event": "order_placed"}, "steps": []})
    client.force_login(viewer())
    _page, cells = rule_list_cells(client)
    assert "gone-pack" in cells


def test_the_packs_page_shows_the_title_not_the_id(client, packed_rules):
    client.force_login(editor())
    page = client.get(reverse("masa_packs")).content.decode()
    assert "<strong><bdi>Senior care</bdi></strong>" in page
    outside_agencies = re.sub(r'<details class="masa-for-agencies">.*?</details>', "", page, flags=re.S)
    assert "senior-care</" not in outside_agencies, "the id shows only under the closed “For agencies”"
    assert "<code>senior-care</code>" in page
    assert reverse("masa_pack_journey", args=["senior-care"]) in page, "links still use the id"


def test_the_winner_confirmation_is_in_hebrew(client, db):
    from masa.models import MessageTemplate
    from .test_split_winner_confirm import SPLIT
    MessageTemplate.objects.create(key="short", subject="Short", body="short")
    MessageTemplate.objects.create(key="long", subject="Long", body="long")
    Rule.objects.create(rule_id="ab", title="Offer test", definition=SPLIT)
    client.force_login(in_hebrew(editor()))
    page = client.post(reverse("masa_rule_journey", args=["ab"]), {"split": "steps[1].split", "winner": "a"}).content.decode()
    for said in ("מעכשיו כל מי שעוד יגיע ב„<bdi>Offer test</bdi>”", "עדיין יש מעט מדי לקוחות כדי לדעת.",
                 "הגרסאות הגיעו עד עכשיו ל־0 לקוחות.", "בחירה עכשיו היא ניחוש", "כן, לבחור בגרסה <bdi>A</bdi> כמנצחת"):
        assert said in page, said
