"""Issue 32: a pack's message may hold a version per channel kind (``channels: {sms: …, whatsapp: …}``,
a WhatsApp version with its approved template). Installed as rows per (key, locale, kind),
exported back the same, merged three ways per version and language like any message field;
schema problems said in words at the field's place."""
import pytest
import yaml

from masa.models import MessageTemplate
from masa.packs import PackError, load_pack
from masa.packs.installer import export_pack, import_pack, upgrade_pack
from masa.rendering import find_template

pytestmark = pytest.mark.django_db

PACK = """\
masa_pack: 1
id: winback
version: 1.0.0
title: Win back
templates:
  win-back:
    channel: email
    subject: We miss you
    body: "Hi {{ customer.first_name }}, come back for 10% off."
    locales:
      he: {subject: מתגעגעים, body: "שלום {{ customer.first_name }}, חזרו ל-10% הנחה."}
    channels:
      sms:
        body: "{{ customer.first_name }}, 10% off: {{ view_url }}"
        locales: {he: {body: "10% הנחה: {{ view_url }}"}}
      whatsapp:
        body: "Hi {{ customer.first_name }}, 10% off today."
        template: {name: win_back_offer, language: en_US, variables: ["{{ customer.first_name }}"]}
        locales:
          he:
            body: "שלום {{ customer.first_name }}, 10% הנחה היום."
            template: {name: win_back_offer, language: he, variables: ["{{ customer.first_name }}"]}
rules:
  - id: win-back
    trigger: {event: order_placed}
    steps:
      - send: {template: win-back}
"""


def _next(version="1.1.0", **changes):
    document = yaml.safe_load(PACK)
    document["version"] = version
    whatsapp = document["templates"]["win-back"]["channels"]["whatsapp"]
    if "template_name" in changes:
        whatsapp["template"]["name"] = changes["template_name"]
    if "variables" in changes:
        whatsapp["template"]["variables"] = changes["variables"]
    if "sms" in changes:
        document["templates"]["win-back"]["channels"]["sms"]["body"] = changes["sms"]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _rows():
    return {(row.locale, row.channel_kind): (row.body, row.provider_template)
            for row in MessageTemplate.objects.filter(key="win-back")}


def test_the_versions_are_installed_as_rows_per_kind_and_language(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    rows = _rows()
    assert set(rows) == {("", "email"), ("he", "email"), ("", "sms"), ("he", "sms"), ("", "whatsapp"),
                         ("he", "whatsapp")}
    assert rows[("he", "whatsapp")][1] == {"name": "win_back_offer", "language": "he",
                                           "variables": ["{{ customer.first_name }}"]}
    assert find_template("win-back", "he", "sms").body == "10% הנחה: {{ view_url }}"
    assert find_template("win-back", "he", "webhook").subject == "מתגעגעים"


def test_a_pack_with_versions_round_trips_through_export_and_import(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    before = _rows()
    exported = yaml.safe_load(export_pack("winback"))
    assert exported["templates"] == yaml.safe_load(PACK)["templates"]
    MessageTemplate.objects.all().delete()
    from masa.models import Rule, RulePack
    Rule.objects.all().delete()
    RulePack.objects.all().delete()
    import_pack(load_pack(yaml.safe_dump(exported, allow_unicode=True, sort_keys=False)))
    assert _rows() == before


def test_an_upgrade_keeps_the_shops_sms_edit_and_takes_the_packs_new_whatsapp_template(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    MessageTemplate.objects.filter(key="win-back", locale="", channel_kind="sms").update(body="Our own SMS")
    report = upgrade_pack(load_pack(_next(template_name="win_back_offer_v2")))
    rows = _rows()
    assert rows[("", "sms")][0] == "Our own SMS"
    assert rows[("", "whatsapp")][1]["name"] == "win_back_offer_v2"
    assert rows[("he", "whatsapp")][1]["name"] == "win_back_offer"    # its own language's template: unchanged
    said = {(item.label, item.kind) for item in report.items}
    assert ("WhatsApp version: Approved WhatsApp template", "take") in said
    assert ("SMS version: Text", "keep") in said


def test_both_editing_the_sms_text_is_a_conflict_the_shop_decides(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    MessageTemplate.objects.filter(key="win-back", locale="", channel_kind="sms").update(body="Our own SMS")
    report = upgrade_pack(load_pack(_next(sms="The pack's new SMS")), dry_run=True)
    conflict = next(item for item in report.items if item.kind == "conflict")
    assert conflict.id == "message:win-back:default:sms:body" and conflict.label == "SMS version: Text"
    upgrade_pack(load_pack(_next(sms="The pack's new SMS")), choices={conflict.id: "pack"})
    assert _rows()[("", "sms")][0] == "The pack's new SMS"
    assert _rows()[("", "email")][0].startswith("Hi ")


def test_an_approved_template_is_merged_whole_never_the_shops_name_with_the_packs_variables(settings):
    """The shop renamed the template (its own, approved with one variable); the pack moved to a new
    one with two: one conflict about the whole template, and either side applies all of it."""
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    ours = {"name": "our_win_back", "language": "en_US", "variables": ["{{ customer.first_name }}"]}
    MessageTemplate.objects.filter(key="win-back", locale="", channel_kind="whatsapp").update(provider_template=ours)
    upgrade = _next(template_name="win_back_offer_v2", variables=["{{ customer.first_name }}", "{{ voucher.code }}"])
    report = upgrade_pack(load_pack(upgrade), dry_run=True)
    about = [item for item in report.items if "Approved WhatsApp template" in item.label]
    assert [(item.label, item.kind) for item in about] == [("WhatsApp version: Approved WhatsApp template",
                                                             "conflict")]
    assert "our_win_back (en_US): {{ customer.first_name }}" in about[0].yours

    upgrade_pack(load_pack(upgrade))
    assert _rows()[("", "whatsapp")][1] == ours, "the shop's stays whole by default"


def test_choosing_the_packs_approved_template_takes_all_of_it(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    import_pack(load_pack(PACK))
    MessageTemplate.objects.filter(key="win-back", locale="", channel_kind="whatsapp").update(
        provider_template={"name": "our_win_back", "language": "en_US", "variables": ["{{ customer.first_name }}"]})
    upgrade = _next(template_name="win_back_offer_v2", variables=["{{ customer.first_name }}", "{{ voucher.code }}"])
    upgrade_pack(load_pack(upgrade), choices={"message:win-back:default:whatsapp:template": "pack"})
    assert _rows()[("", "whatsapp")][1] == {"name": "win_back_offer_v2", "language": "en_US",
                                            "variables": ["{{ customer.first_name }}", "{{ voucher.code }}"]}


def _problems(templates: str) -> list[str]:
    source = PACK.split("templates:\n")[0] + "templates:\n" + templates + "rules:\n" + PACK.split("rules:\n")[1]
    with pytest.raises(PackError) as caught:
        load_pack(source, "p.yaml")
    return caught.value.problems


def test_an_unknown_kind_or_the_messages_own_kind_is_said_in_words():
    problems = _problems("""\
  win-back:
    channel: email
    body: Hi
    channels:
      telegram: {body: Hi}
      email: {body: Hi}
""")
    assert "p.yaml: templates.win-back.channels.telegram: 'telegram' is not a channel kind Masa knows " \
           "(email, sms, whatsapp, webhook)" in problems
    assert any(p.startswith("p.yaml: templates.win-back.channels.email: the message's own channel is email")
               for p in problems)
    assert not any("is not one of" in p for p in problems)


def test_an_approved_template_is_checked_in_words_at_its_place():
    problems = _problems("""\
  win-back:
    channel: email
    body: Hi
    channels:
      sms: {body: Hi, template: {name: offer, language: en_US}}
      whatsapp:
        body: Hi
        template: {name: Win Back, language: english, variables: ["{{ customer.first_name|nope }}", ""]}
""")
    place = "p.yaml: templates.win-back.channels.whatsapp.template."
    assert "p.yaml: templates.win-back.channels.sms.template: only a WhatsApp text names an approved template" \
        in problems
    assert any(p.startswith(place + "name: the approved template's name as in WhatsApp Manager") for p in problems)
    assert any(p.startswith(place + "language: 'english' is not a language code") for p in problems)
    assert any(p.startswith(place + "variables[1]: ") for p in problems)
    assert any(p.startswith(place + "variables[2]: empty") for p in problems)


def test_a_default_whatsapp_text_must_say_its_template_language():
    problems = _problems("""\
  win-back:
    channel: email
    body: Hi
    channels:
      whatsapp: {body: Hi, template: {name: win_back_offer, variables: []}}
""")
    assert any(p.startswith("p.yaml: templates.win-back.channels.whatsapp.template.language: give the approved")
               for p in problems)
