"""The journey pages in a shop owner's words (issue 30): the senior-care pack's page folds each
rule to a line with its key figures; an A/B split's versions are drawn as alternatives side by
side, each labelled with its share; titles say their parameters' values; skip reasons are words;
in Hebrew nothing is left in English outside isolated data; no engineer words anywhere outside a
collapsed "details"."""
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from wagtail.users.models import UserProfile

from masa.admin.journey_words import reason_words, said, version_name
from masa.models import Rule
from masa.packs.dosage import generated_rule_ids
from masa.reports.journey import reason_kind
from masa.rules.sentences import Words

from ..helpers import editor, place_order
from .owner_words import engineer_words, untranslated

pytestmark = pytest.mark.django_db

SPLIT = {"trigger": {"event": "order_placed"}, "steps": [
    {"wait": "2d"},
    {"split": {"a": {"share": 30, "steps": [{"send": {"template": "thank-you"}}]},
               "b": {"share": 70, "steps": [{"wait": "1d"}, {"send": {"template": "keep-in-touch"}}]}}}]}


@pytest.fixture
def split_in_the_pack(every_page, client, signing_store):
    rule = Rule.objects.create(rule_id="sc-thank-you-ab", pack="senior-care", title="תודה: קצר מול ארוך",
                               definition=SPLIT)
    place_order(client, signing_store, email="dana@example.com", user_id="VXNlcjoxMDA=", order_id="T3JkZXI6ZGFuYQ==")
    return rule


def page_in(client, language: str, url: str, query: dict | None = None) -> str:
    user = User.objects.filter(username="edna").first() or editor()
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    response = client.get(url, query or {})
    assert response.status_code == 200
    return response.content.decode()


def test_the_pack_page_folds_each_rule_to_a_line_with_its_figures(client, split_in_the_pack):
    page = page_in(client, "en", reverse("masa_pack_journey", args=["senior-care"]))
    rules = Rule.objects.filter(pack="senior-care")
    assert page.count('<details class="masa-fold"') == rules.count(), "every rule folded, none open"
    assert "<details class=\"masa-fold\" open" not in page
    summaries = re.findall(r'<details class="masa-fold"[^>]*>\s*<summary>(.*?)</summary>', page, re.S)
    assert len(summaries) == rules.count()
    assert all("started ·" in summary and "waiting now ·" in summary and "sent" in summary for summary in summaries)
    assert "Started by:" in page and "Starts:" in page and "How the rules connect" in page
    assert 'href="#rule-sc-loyal-welcome"' in page, "a chain opens the other rule's fold on the same page"


def test_a_split_is_drawn_as_versions_side_by_side_each_with_its_share(client, split_in_the_pack):
    page = page_in(client, "en", reverse("masa_rule_journey", args=[split_in_the_pack.rule_id]))
    versions = page.split('class="masa-paths masa-versions"', 1)[1]
    assert versions.count('<div class="masa-path">') == 2, "both versions in one group of columns"
    assert "Version <bdi>A</bdi> — 30 %" in versions and "Version <bdi>B</bdi> — 70 %" in versions
    assert versions.index("Version <bdi>A</bdi>") < versions.index("“Thank you for your order") \
        < versions.index("Version <bdi>B</bdi>") < versions.index("“Thinking of you"), "each version's own steps"
    assert '<svg role="img"' not in page and '<li class="masa-step"' in page, "boxes of HTML, whose text wraps"


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_journey_pages_show_no_engineer_words(client, split_in_the_pack, language):
    for url, query in [(reverse("masa_pack_journey", args=["senior-care"]), {}),
                       (reverse("masa_rule_journey", args=[generated_rule_ids("senior-care")[0]]), {}),
                       (reverse("masa_rule_journey", args=[split_in_the_pack.rule_id]), {}),
                       (reverse("masa_customers"), {"rule": split_in_the_pack.rule_id, "state": "waiting",
                                                    "step": "steps[1].split.b[1]"})]:
        page = page_in(client, language, url, query)
        assert not engineer_words(page), (url, engineer_words(page)[:5])


def test_in_hebrew_the_journey_pages_leave_no_english_outside_isolated_data(client, split_in_the_pack):
    for url, query in [(reverse("masa_pack_journey", args=["senior-care"]), {}),
                       (reverse("masa_rule_journey", args=[split_in_the_pack.rule_id]), {}),
                       (reverse("masa_customers"), {"rule": split_in_the_pack.rule_id, "state": "waiting",
                                                    "step": "steps[1].split.b[1]"})]:
        page = page_in(client, "he", url, query)
        assert 'dir="rtl"' in page
        assert not untranslated(page), (url, untranslated(page)[:8])


def test_a_title_says_its_parameters_values():
    words = Words({}, {"keep_in_touch_every": "60d", "technical_categories": ["walkers", "wheelchairs"]})
    assert said("Keep in touch: no message for $keep_in_touch_every", words) == "Keep in touch: no message for 60 days"
    assert said("How-to for $technical_categories", words) == "How-to for walkers, wheelchairs"
    assert said("Costs $5 and $unknown", words) == "Costs $5 and $unknown"


@pytest.mark.parametrize("reason, said_as", [
    ("bought from category 'absorbent' again on 2026-12-01", "bought from that category again"),
    ("the customer ordered again on 2026-12-01", "ordered again"),
    ("the customer has no phone number for channel 'SMS'", "no phone number"),
    ("the customer has no marketing consent", "no consent to marketing"),
    ("this customer is in another branch of the split", "in the other version of the A/B test"),
    ("the test chose branch b of the split", "another version won the A/B test"),
    ("rule 'sc-refill' was turned off", "the rule was turned off"),
    ("order #1042 was refunded", "the order was cancelled or refunded"),
    ("something nobody wrote down", "another reason"),
])
def test_a_skip_reason_is_said_in_words_without_slugs(reason, said_as):
    assert reason_words(reason_kind(reason)) == said_as


def test_a_version_is_named_as_an_owner_reads_it():
    assert (version_name("a"), version_name("long-copy")) == ("A", "long copy")
