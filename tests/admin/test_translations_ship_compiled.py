"""The admin's translations ship compiled: each .mo says what its .po says (``make messages``)."""
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "plugin" / "locale"
def _unquote(line: str) -> str:
    return line[line.index('"') + 1:line.rindex('"')].replace('\\"', '"').replace("\\n", "\n")


def po_entries(path: Path):
    """(msgid, msgid_plural, [msgstr…]) of each entry, continuation lines joined; fuzzy ones too."""
    entry, field = {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if entry.get("msgid"):   # a msgctxt joins its msgid as gettext keys it ("context\x04msgid")
                key = f"{entry['msgctxt']}\x04{entry['msgid']}" if entry.get("msgctxt") else entry["msgid"]
                yield key, entry.get("msgid_plural", ""), [entry[name] for name in sorted(entry)
                                                          if name.startswith("msgstr")]
            if not line:
                entry, field = {}, None
            elif entry.get("msgid") is not None and field and field.startswith("msgstr"):
                entry, field = {}, None
            continue
        if line.startswith('"'):
            entry[field] += _unquote(line)
            continue
        field = line.split(" ", 1)[0]
        entry[field] = _unquote(line)


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
