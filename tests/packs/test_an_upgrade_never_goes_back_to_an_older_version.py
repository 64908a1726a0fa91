"""The installer never takes a pack back to an older version, compared as numbers (1.10.0 is newer
than 1.9.0), nor takes the installed version's number with other content — on every path that
installs (the installer itself, which the admin's job and a subscription's release go through, and
``masa_pack upgrade``), refused in words. A version is three numbers of at most 9 digits: an absurd
one (``1.2.<5000 digits>``, another script's digits) is refused by the loader in words, and no
version text makes a comparison fail (review of issue 31)."""
from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from masa.models import RulePack
from masa.packs.installer import import_pack, upgrade_pack
from masa.packs.loader import PackError, load_pack, version_key
from tests.packs.test_pack_subscriptions import release

pytestmark = pytest.mark.django_db


def pack(number: str, wait: str = "20d"):
    return load_pack(release(number, wait=wait).decode(), f"coffee-{number[:20]}.yaml")


def test_an_older_version_is_refused_and_nothing_changes():
    import_pack(pack("1.10.0"))
    with pytest.raises(PackError, match=r"1\.9\.0 is older than the installed 1\.10\.0; a pack is never moved back"):
        upgrade_pack(pack("1.9.0", wait="5d"))
    with pytest.raises(PackError, match="older than the installed"):
        upgrade_pack(pack("1.9.0", wait="5d"), dry_run=True)
    assert RulePack.objects.get().version == "1.10.0"


def test_a_newer_version_by_number_not_by_text_is_taken():
    import_pack(pack("1.9.0"))
    upgrade_pack(pack("1.10.0", wait="25d"))
    assert RulePack.objects.get().version == "1.10.0"


def test_the_installed_number_with_other_content_is_refused_the_same_content_is_nothing_to_do():
    import_pack(pack("1.2.0"))
    with pytest.raises(PackError, match="1.2.0 is installed with other content; give the new content a new version"):
        upgrade_pack(pack("1.2.0", wait="30d"))
    reordered = yaml.safe_dump(yaml.safe_load(release("1.2.0")), sort_keys=True)
    assert not upgrade_pack(load_pack(reordered, "reordered.yaml")).changed


def test_masa_pack_upgrade_refuses_a_downgrade_in_words(tmp_path):
    import_pack(pack("2.0.0"))
    older = tmp_path / "pack.yaml"
    older.write_bytes(release("1.9.9", wait="5d"))
    for dry_run in ([], ["--dry-run"]):
        with pytest.raises(CommandError, match="1.9.9 is older than the installed 2.0.0"):
            call_command("masa_pack", "upgrade", str(older), *dry_run)
    assert RulePack.objects.get().version == "2.0.0"


@pytest.mark.parametrize("number", ["1.2." + "9" * 5000, "1.2.1234567890", "1.2", "1.2.3.4", "١.٢.٣", "1.2.3\n"])
def test_an_absurd_version_is_refused_in_words(number):
    with pytest.raises(PackError) as refused:
        load_pack(release("0.0.0").decode().replace("version: 0.0.0", f"version: {number!r}"), "pack.yaml")
    problems = [p for p in refused.value.problems if ": version: " in p]
    assert len(problems) == 1, refused.value.problems
    assert "is not a version: three numbers of at most 9 digits each, like 1.2.0" in problems[0]
    assert len(problems[0]) < 300


def test_an_absurd_min_masa_version_is_refused_in_words_not_a_crash():
    source = release("1.0.0").decode().replace("author:", f"min_masa_version: '1.2.{'9' * 5000}'\nauthor:")
    with pytest.raises(PackError, match="min_masa_version: '1.2.99.*is not a version"):
        load_pack(source, "pack.yaml")


def test_nine_digits_are_a_version():
    assert load_pack(release("999999999.0.1").decode()).version == "999999999.0.1"


def test_no_version_text_makes_a_comparison_fail():
    assert version_key("1.10.0") > version_key("1.9.0") > version_key("1.2.0")
    assert version_key("1.2.00010") == version_key("1.2.10")
    assert version_key("1.2." + "9" * 5000) > version_key("1.2.999999999")
    assert version_key("") < version_key("0.0.1") and version_key("not a version") == ()
