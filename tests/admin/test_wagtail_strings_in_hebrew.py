"""Wagtail's own words on Masa's pages read in Hebrew: Wagtail ships only ``he_IL`` catalogues,
which Django never loads for ``he``, so Masa's Hebrew catalogue carries them
(masa/admin/wagtail_hebrew.py marks them for extraction)."""
import ast
import html
from pathlib import Path

import django
import pytest
import wagtail
from django.urls import reverse

from masa.admin import wagtail_hebrew

from ..helpers import editor, in_hebrew
from .test_translations_ship_compiled import po_entries

pytestmark = pytest.mark.django_db


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_rule_delete_confirmation_says_no_dont_delete_in_hebrew(client, refill_rule):
    client.force_login(in_hebrew(editor()))
    page = page_text(client, reverse("wagtailsnippets_masa_rule:delete", args=[refill_rule.pk]))
    assert "לא, לא למחוק" in page and "No, don't delete" not in page
    assert "האם למחוק את ה" in page
    assert "Are you sure you want to delete" not in page


def test_the_rule_list_says_bulk_actions_and_skip_to_main_content_in_hebrew(client, refill_rule):
    client.force_login(in_hebrew(editor()))
    page = page_text(client, reverse("wagtailsnippets_masa_rule:list"))
    assert "פעולות על הנבחרים" in page and "Bulk actions" not in page
    assert "דילוג לתוכן הראשי" in page and "Skip to main content" not in page
    assert "קיצורי מקלדת" in page and "Keyboard shortcuts" not in page


def test_a_shortened_text_in_hebrew_ends_without_a_right_to_left_override(client, refill_rule):
    """Django's Hebrew "…" starts with U+202E, which reverses whatever follows on the line."""
    from django.template.defaultfilters import truncatechars
    from django.utils import translation

    with translation.override("he"):
        assert truncatechars("Absorbent products for every night", 12) == "Absorbent p…"


def marked_msgids():
    """(msgid, msgid_plural) of each gettext_noop / ngettext_lazy / pgettext_lazy call in
    wagtail_hebrew.py (a context joined to its msgid as gettext keys it)."""
    tree = ast.parse(Path(wagtail_hebrew.__file__).read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, "id", "") in ("gettext_noop", "ngettext_lazy", "pgettext_lazy")]
    return [(f"{call.args[0].value}\x04{call.args[1].value}", "") if call.func.id == "pgettext_lazy" else
            (call.args[0].value, call.args[1].value if call.func.id == "ngettext_lazy" else "") for call in calls]


@pytest.mark.django_db(False)
def test_the_marked_strings_are_wagtails_and_djangos_own_msgids():
    """A Wagtail upgrade that rewords a string leaves a translation nobody looks up: this says which."""
    english = {(msgid, plural) for package in (wagtail, django)
               for po in Path(package.__file__).parent.glob("**/locale/en/LC_MESSAGES/django.po")
               for msgid, plural, _strings in po_entries(po)}
    marked = marked_msgids()
    assert len(marked) > 100
    assert [entry for entry in marked if entry not in english] == []
