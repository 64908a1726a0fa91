"""The admin's translations ship compiled: each .mo says what its .po says (``make messages``)."""
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "plugin" / "locale"
ENTRY = re.compile(r'^msgid "(.*)"\n(?:msgid_plural "(.*)"\n)?((?:msgstr(?:\[\d\])? ".*"\n?)+)', re.M)


def po_entries(path: Path):
    for msgid, plural, strings in ENTRY.findall(path.read_text(encoding="utf-8")):
        if msgid:
            yield msgid.replace('\\"', '"'), plural, [s.replace('\\"', '"') for s in re.findall(r'msgstr(?:\[\d\])? "(.*)"', strings)]


@pytest.mark.parametrize("po", sorted(LOCALE.glob("*/LC_MESSAGES/django.po")), ids=lambda p: p.parts[-3])
def test_every_message_is_translated_and_compiled(po):
    with open(po.with_suffix(".mo"), "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    assert "fuzzy" not in po.read_text(encoding="utf-8"), f"{po} has fuzzy entries: msgfmt leaves them out"
    entries = list(po_entries(po))
    assert len(entries) > 100
    for msgid, plural, strings in entries:
        assert all(strings), f"{msgid!r} is not translated in {po}"
        if plural:
            assert catalog.ngettext(msgid, plural, 1) == strings[0], f"{po.with_suffix('.mo')} is stale: make messages"
        else:
            assert catalog.gettext(msgid) == strings[0], f"{po.with_suffix('.mo')} is stale: make messages"
