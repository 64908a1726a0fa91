"""An upgrade's confirmation is good for the installed pack it was previewed against only (review of
issue 31): an editor who keeps a confirmation (its signed token and source) and posts it again
after another upgrade — even a replay of the same form — applies nothing and is told to preview
again; an older version is refused already in the preview, in words; a job queued before another
upgrade applies nothing."""
from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from masa.models import Job, RulePack
from masa.packs.installer import installed_state, upgrade_pack
from masa.packs.loader import PackError, load_pack
from tests.admin.test_admin_packs import STARTER, imported, upload  # noqa: F401

pytestmark = pytest.mark.django_db

URL = reverse("masa_pack_upgrade", args=["ecommerce-starter"])


def version(number: str, description: str) -> str:
    document = yaml.safe_load(STARTER)
    document["version"], document["description"] = number, description
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def preview(client, source: str) -> str:
    response = client.post(URL, {"file": upload(source)})
    assert response.status_code == 200 and response.context.get("token"), response.content.decode()[-2000:]
    return response.context["token"]


def confirm(client, source: str, token: str):
    return client.post(URL, {"source": source, "confirm": "1", "token": token}, follow=True)


def test_replaying_an_older_versions_confirmation_after_a_later_upgrade_changes_nothing(client, imported):
    first, second = version("9.0.0", "first"), version("9.1.0", "second")
    kept = preview(client, first)
    confirm(client, first, kept)
    assert RulePack.objects.get().version == "9.0.0"
    confirm(client, second, preview(client, second))
    assert RulePack.objects.get().version == "9.1.0"
    jobs = Job.objects.count()

    page = confirm(client, first, kept).content.decode()

    assert RulePack.objects.get().version == "9.1.0" and Job.objects.count() == jobs
    assert "The pack changed since this preview (it is now version 9.1.0): nothing was applied." in page


def test_a_newer_versions_confirmation_from_before_another_upgrade_is_refused(client, imported):
    """Not only downgrades: any confirmation previewed against another installed state."""
    later, meanwhile = version("9.2.0", "later"), version("9.1.0", "meanwhile")
    kept = preview(client, later)
    confirm(client, meanwhile, preview(client, meanwhile))
    assert RulePack.objects.get().version == "9.1.0"

    page = confirm(client, later, kept).content.decode()

    assert RulePack.objects.get().version == "9.1.0"
    assert "The pack changed since this preview" in page
    confirm(client, later, preview(client, later))   # previewed again: applied
    assert RulePack.objects.get().version == "9.2.0"


def test_previewing_an_older_version_says_it_is_refused_and_offers_no_confirmation(client, imported):
    confirm(client, version("9.10.0", "ten"), preview(client, version("9.10.0", "ten")))
    response = client.post(URL, {"file": upload(version("9.9.0", "nine"))})   # 9.9 is older than 9.10
    page = response.content.decode()
    assert "This file holds version 9.9.0, older than the installed version 9.10.0" in page
    assert not response.context.get("token") and RulePack.objects.get().version == "9.10.0"


def test_previewing_the_installed_number_with_other_content_is_refused_in_words(client, imported):
    confirm(client, version("9.0.0", "first"), preview(client, version("9.0.0", "first")))
    response = client.post(URL, {"file": upload(version("9.0.0", "the same number, other words"))})
    assert "the number of the installed version, with other content" in response.content.decode()
    assert not response.context.get("token")


def test_a_job_queued_before_another_upgrade_applies_nothing(client, imported):
    """The confirmation's job carries the installed state it was previewed against."""
    pack = RulePack.objects.get()
    previewed = installed_state(pack)
    upgrade_pack(load_pack(version("9.1.0", "meanwhile"), "meanwhile.yaml"))
    with pytest.raises(PackError, match="the installed pack changed since this upgrade was previewed"):
        upgrade_pack(load_pack(version("9.2.0", "queued"), "queued.yaml"), installed_as=previewed)
    assert RulePack.objects.get().version == "9.1.0"
