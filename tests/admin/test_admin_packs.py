"""Rule packs in the admin: import shows every problem in the page and writes nothing, a good
pack is imported and logged, upgrades are previewed before they are applied, export downloads
the shop's version, and parameters are edited in a typed form."""
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import Rule, RulePack
from masa.admin.rule_values import split_duration

from ..helpers import denied, editor, viewer

pytestmark = pytest.mark.django_db

STARTER = (Path(__file__).resolve().parents[2] / "packs" / "ecommerce-starter" / "pack.yaml").read_text()
SHIPPED = yaml.safe_load(STARTER)["version"]


def upload(text, name="pack.yaml"):
    return SimpleUploadedFile(name, text.encode(), content_type="application/yaml")


def broken(text):
    document = yaml.safe_load(text)
    document["rules"][0]["steps"].insert(0, {"wait": "soonish"})
    document["rules"][1]["trigger"] = {"event": "order_placed", "colour": "red"}
    return yaml.safe_dump(document, sort_keys=False)


@pytest.fixture
def imported(client):
    client.force_login(editor())
    preview = client.post(reverse("masa_pack_import"), {"file": upload(STARTER)})
    assert preview.status_code == 200 and not RulePack.objects.exists()
    response = client.post(reverse("masa_pack_import"), {"source": STARTER, "confirm": "1"})
    assert response.status_code == 302
    return RulePack.objects.get(pack_id="ecommerce-starter")


def test_the_import_preview_says_what_each_rule_does_and_writes_nothing(client):
    client.force_login(editor())
    page = client.post(reverse("masa_pack_import"), {"file": upload(STARTER)}).content.decode()
    assert "When a customer buys from <em><bdi>Coffee beans</bdi></em>: wait until <em>3 days</em> before they should run out" in page
    assert "Import the pack" in page and not Rule.objects.exists()


def test_a_broken_pack_shows_each_problem_and_writes_nothing(client):
    client.force_login(editor())
    response = client.post(reverse("masa_pack_import"), {"file": upload(broken(STARTER), "starter.yaml")})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The pack was not imported: 2 problems. Nothing was changed." in page
    assert "soonish" in page and "colour" in page and "starter.yaml" in page
    assert not RulePack.objects.exists() and not Rule.objects.exists()


def test_not_yaml_and_nothing_at_all_get_clear_messages(client):
    client.force_login(editor())
    assert "Choose a pack that comes with Masa, a pack file, or paste one." in client.post(reverse("masa_pack_import"), {}).content.decode()
    page = client.post(reverse("masa_pack_import"), {"source": "rules: [\n"}).content.decode()
    assert "pasted pack" in page and "problem" in page


def test_a_good_pack_is_imported_logged_and_leads_to_its_parameters(client, imported):
    assert Rule.objects.filter(pack="ecommerce-starter").count() == len(yaml.safe_load(STARTER)["rules"])
    entry = ModelLogEntry.objects.get(action="masa.pack.import")
    assert entry.data["version"] == SHIPPED
    page = client.get(reverse("masa_packs")).content.decode()
    assert "E-commerce starter" in page and SHIPPED in page


def test_upgrade_is_previewed_then_applied(client, imported):
    rule = Rule.objects.filter(pack="ecommerce-starter").first()
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    newer = STARTER.replace(f"version: {SHIPPED}", "version: 9.0.0")
    url = reverse("masa_pack_upgrade", args=["ecommerce-starter"])
    response = client.post(url, {"file": upload(newer)})
    preview = response.content.decode()
    assert "Preview: what the upgrade to 9.0.0 does" in preview and "We keep your edit" in preview
    assert RulePack.objects.get().version == SHIPPED
    token = response.context["token"]
    page = client.post(url, {"source": newer, "confirm": "1", "token": token}, follow=True).content.decode()
    assert "<bdi>E-commerce starter</bdi> is now at version 9.0.0." in page, "the upgrade ran as a job and its page says the outcome"
    assert f"upgrading from {SHIPPED}" in page and "we keep your edit" in page
    assert RulePack.objects.get().version == "9.0.0"
    assert not Rule.objects.get(pk=rule.pk).enabled
    assert ModelLogEntry.objects.filter(action="masa.pack.upgrade").exists()


def test_upgrading_with_another_pack_is_refused(client, imported):
    other = (Path(__file__).resolve().parents[2] / "packs" / "senior-care" / "pack.yaml").read_text()
    page = client.post(reverse("masa_pack_upgrade", args=["ecommerce-starter"]), {"file": upload(other)}).content.decode()
    assert "This file holds the pack “Senior care store”, not “E-commerce starter”" in page


def test_export_downloads_the_shops_version(client, imported):
    response = client.get(reverse("masa_pack_export", args=["ecommerce-starter"]))
    assert response["Content-Disposition"] == f'attachment; filename="ecommerce-starter-{SHIPPED}.yaml"'
    assert yaml.safe_load(response.content)["id"] == "ecommerce-starter"


def test_parameters_are_edited_in_a_typed_form(client, imported):
    url = reverse("masa_pack_parameters", args=["ecommerce-starter"])
    page = client.get(url).content.decode()
    assert "Customers who buy from" in page
    durations = {name for name, spec in imported.parameters.items() if spec.get("type") == "duration"}
    values = {}
    for name, value in imported.resolved_parameters().items():
        if name in durations:     # a duration is a number and a unit
            values[f"{name}_0"], values[f"{name}_1"] = split_duration(value)
        else:
            values[name] = "\n".join(value) if isinstance(value, list) else value
    assert 'name="cross_sell_delay_0"' in page and 'name="cross_sell_delay_1"' in page
    bad = client.post(url, {**values, "cross_sell_delay_0": "-1"}).content.decode()
    assert "greater than or equal to 0" in bad
    assert client.post(url, {**values, "cross_sell_delay_0": "10", "cross_sell_delay_1": "d"}).status_code == 302
    pack = RulePack.objects.get()
    assert pack.parameter_values == {"cross_sell_delay": "10d"}
    assert ModelLogEntry.objects.get(action="masa.pack.parameters").data == {"changed": {"cross_sell_delay": "10d"}}


def test_viewers_see_packs_but_cannot_import_upgrade_or_change_parameters(client, imported):
    client.force_login(viewer())
    assert client.get(reverse("masa_packs")).status_code == 200
    assert client.get(reverse("masa_pack_export", args=["ecommerce-starter"])).status_code == 200
    assert denied(client.post(reverse("masa_pack_import"), {"file": upload(STARTER)}))
    assert denied(client.post(reverse("masa_pack_upgrade", args=["ecommerce-starter"]), {"source": STARTER}))
    assert denied(client.post(reverse("masa_pack_parameters", args=["ecommerce-starter"]), {"cross_sell_delay": "1d"}))
