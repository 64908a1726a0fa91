"""Every page reachable from the Journeys menu speaks a shop owner's words, in English and in
Hebrew: no ``$name`` tokens, template tags, JSON, Python values or Saleor ids outside a collapsed
"details" / "for agencies" disclosure; in Hebrew, no English left outside isolated data; and the
shipped Hebrew catalogue holds every string the code marks for translation."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .owner_words import engineer_words, untranslated
from .test_translations_ship_compiled import po_entries
from ..helpers import editor, in_hebrew

pytestmark = pytest.mark.django_db
PLUGIN = Path(__file__).resolve().parents[2] / "plugin"


def root_of(name: str) -> str:
    """Masa's part of the page: the home page's Journeys panel (the rest is Wagtail's), else <main>."""
    return ".masa-dashboard" if name == "wagtailadmin_home" else "main"


def pages_as(client, every_page, language):
    user = in_hebrew(editor()) if language == "he" else editor()
    client.force_login(user)
    for name, url in every_page:
        response = client.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            yield name, url, response.content.decode()
        else:
            client.get("/admin/")   # a refused page leaves its message for the next page: read it here


@pytest.mark.parametrize("language", ["en", "he"])
def test_no_journeys_page_shows_an_owner_parameter_tokens_tags_json_reprs_or_saleor_ids(client, every_page, language):
    found = {f"{name} {url}": problems for name, url, page in pages_as(client, every_page, language)
             if (problems := engineer_words(page, root_of(name)))}
    assert not found, "\n".join(f"{where}:\n  " + "\n  ".join(problems[:8]) for where, problems in found.items())


def test_every_journeys_page_in_hebrew_has_no_english_left_outside_isolated_data(client, every_page):
    found = {f"{name} {url}": problems for name, url, page in pages_as(client, every_page, "he")
             if (problems := untranslated(page, root_of(name)))}
    assert not found, f"{len(found)} pages:\n" + "\n".join(
        f"{where}:\n  " + "\n  ".join(problems[:12]) for where, problems in found.items())


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext's xgettext is not installed")
def test_the_hebrew_catalogue_holds_every_string_the_code_marks_for_translation(tmp_path):
    copy = tmp_path / "masa"
    shutil.copytree(PLUGIN, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "he", "--no-obsolete", "--no-location"],
                   cwd=copy, check=True, capture_output=True, env={"PATH": os.environ["PATH"]})
    marked = {msgid for msgid, _plural, _strings in po_entries(copy / "locale" / "he" / "LC_MESSAGES" / "django.po")}
    shipped = {msgid for msgid, _plural, _strings in po_entries(PLUGIN / "locale" / "he" / "LC_MESSAGES" / "django.po")}
    missing = sorted(marked - shipped)
    assert not missing, f"{len(missing)} strings have no Hebrew (make messages after adding them):\n" + "\n".join(missing[:40])
