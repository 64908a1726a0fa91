"""The packs, broadcasts, background jobs, Saleor stores and simulate pages speak the owner's
language (issue 30, items 9 and 11): every string translated, the shop's names isolated, dates in
the admin's language, packs named by their title (the id only under "For agencies"), and the
models named in Hebrew where Wagtail says them ("Add rule")."""
import re

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from masa.models import Job, Rule, RulePack
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file

from ..helpers import editor
from .owner_words import engineer_words, untranslated, visible_text

pytestmark = pytest.mark.django_db

PAGES = ("masa_packs", "masa_pack_import", "masa_pack_upgrade", "masa_broadcasts", "masa_rule_broadcast", "masa_jobs",
         "masa_job", "masa_saleor_stores", "masa_rule_simulate")


def speaking(client, language):
    user = editor()
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return client


def test_these_pages_in_hebrew_leave_no_english_outside_the_shops_names(client, every_page):
    speaking(client, "he")
    found = {}
    for name, url in every_page:
        if name in PAGES:
            page = client.get(url).content.decode()
            assert 'dir="rtl"' in page, url
            problems = untranslated(page) + engineer_words(page)
            if problems:
                found[url] = problems
    assert {name for name, _url in every_page} >= set(PAGES)
    assert not found, "\n".join(f"{url}:\n  " + "\n  ".join(problems[:10]) for url, problems in found.items())


def test_the_packs_page_names_packs_by_title_and_keeps_the_id_for_agencies(client, every_page):
    page = speaking(client, "en").get(reverse("masa_packs")).content.decode()
    shown = " ".join(text.text for text in visible_text(page))
    assert "Senior care" in shown or RulePack.objects.get(pack_id="senior-care").title in shown
    assert "senior-care" not in shown
    assert re.search(r"<details[^>]*>\s*<summary>For agencies</summary>[^<]*<code>senior-care</code>", page)


def test_a_shipped_pack_is_offered_by_its_title(client):
    page = speaking(client, "en").get(reverse("masa_pack_import")).content.decode()
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    title = load_pack_file("packs/senior-care/pack.yaml").document["title"]
    assert options["senior-care"] == f"\u2068{title}\u2069" and title != "senior-care"


def test_a_job_is_titled_in_the_admins_language_with_its_rule_isolated(client, refill_rule):
    job = Job.objects.create(kind=Job.Kind.SIMULATE, title="Simulate Absorbent products refill over 30 days",
                             created_by="edna", rule=refill_rule, params={"days": 30})
    speaking(client, "he")
    listing = client.get(reverse("masa_jobs")).content.decode()
    page = client.get(reverse("masa_job", args=[job.pk])).content.decode()
    with translation.override("he"):
        expected = "<bdi>Absorbent products refill</bdi>"
    assert expected in listing and expected in page
    assert "Simulate Absorbent products refill over 30 days" not in listing


def test_an_upgrade_job_names_the_pack_by_its_title(client):
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    title = RulePack.objects.get(pack_id="senior-care").title
    job = Job.objects.create(kind=Job.Kind.UPGRADE, title="Upgrade senior-care to 9.9.9", created_by="edna",
                             pack_id="senior-care", status=Job.Status.DONE, outcome={"version": "9.9.9", "lines": []})
    page = speaking(client, "en").get(reverse("masa_job", args=[job.pk])).content.decode()
    assert f"<bdi>{title}</bdi> is now at version 9.9.9." in page
    assert "senior-care" not in " ".join(text.text for text in visible_text(page))


def test_wagtail_names_masas_models_in_hebrew(client, refill_rule):
    page = speaking(client, "he").get(reverse("wagtailsnippets_masa_rule:list")).content.decode()
    with translation.override("he"):
        assert str(Rule._meta.verbose_name) == "כלל"
    words = " ".join(text.text for text in visible_text(page) if not text.isolated)
    assert "כלל" in words and not re.search(r"\brules?\b", words), "Wagtail's “Add rule” and headings in Hebrew"


def test_needs_attention_in_hebrew_is_all_words_with_each_group_and_its_action(client, refill_rule):
    from .test_needs_attention import a_shop_with_troubles

    a_shop_with_troubles(refill_rule)
    page = speaking(client, "he").get(reverse("masa_failures")).content.decode()
    assert not untranslated(page) and not engineer_words(page)
    for kind in ("failed", "skipped", "circuits", "unread"):
        assert f'data-kind="{kind}"' in page, kind
    with translation.override("he"):
        from django.utils.translation import gettext as _
        for action in ("Try them again", "Dismiss", "Fix the channel", "Send a test", "see these customers",
                       "Read them again"):
            assert _(action) in page and _(action) != action, action
