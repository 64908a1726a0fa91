"""Pack validation, import, upgrade, export and simulation."""
import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from masa import __version__, signals
from masa.models import MessageTemplate, Rule, RuleFiring, RulePack, ScheduledAction
from masa.packs import PackError, load_pack, load_pack_file
from masa.packs.installer import export_pack, import_pack, upgrade_pack
from masa.packs.simulate import simulate

PACKS = Path(__file__).resolve().parents[2] / "packs"
SENIOR = PACKS / "senior-care" / "pack.yaml"


def document(**changes):
    data = yaml.safe_load(SENIOR.read_text())
    data.update(changes)
    return data


def problems_of(data, filename="pack.yaml"):
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(PackError) as raised:
        load_pack(text, filename)
    return raised.value.problems


def with_rule_change(index, **changes):
    data = document()
    data["rules"][index] = {**data["rules"][index], **changes}
    return data


def test_bad_yaml_names_the_line():
    assert problems_of("id: x\nrules: [\n  - a: b\n") == [
        "pack.yaml: line 3, column 3: not valid YAML: expected the node content, but found '-'"]


def test_an_unknown_field_in_a_rule_names_the_rule():
    data = with_rule_change(1, colour="red")
    assert problems_of(data) == [
        "pack.yaml: rule 'sc-refill-absorbent', (rule): Additional properties are not allowed ('colour' was unexpected)"]


def test_a_wrong_type_names_the_field():
    data = with_rule_change(2, enabled="yes")
    assert problems_of(data) == ["pack.yaml: rule 'sc-refill-supplements', enabled: 'yes' is not of type 'boolean'"]


def test_every_problem_of_a_pack_is_reported_in_one_run():
    """Issue 19, item 9: a bad ``once`` and a bad ``wait`` (and a bad condition, a bad send, an
    unknown parameter and segment, a schema problem elsewhere) all in the first run."""
    data = with_rule_change(3, once="always", conditions=[{"fact": "nope"}, {"segment": "nowhere"}],
                            steps=[{"wait": "soonish"}, {"send": {"template": "refill-vitamins", "class": "sometimes"}},
                                   {"wait": "$no_such"}])
    data["rules"][1]["enabled"] = "yes"
    problems = problems_of(data)
    where = [problem.split(": ", 2)[1] for problem in problems]
    assert where == ["rule 'sc-refill-absorbent', enabled", "rule 'sc-refill-vitamins', conditions[1].segment",
                     "rule 'sc-refill-vitamins', steps[2].wait", "rule 'sc-refill-vitamins', once",
                     "rule 'sc-refill-vitamins', conditions[0].fact", "rule 'sc-refill-vitamins', steps[0].wait",
                     "rule 'sc-refill-vitamins', steps[1].send.class"]
    assert "'soonish' is not a duration" in problems[5] and "'always' is not one of" in problems[3]


def test_an_unknown_template_names_the_rule():
    data = document()
    del data["templates"]["howto-video"]
    assert problems_of(data) == [
        "pack.yaml: rule 'sc-howto-video', steps: unknown template 'howto-video' (define it under templates)"]


def test_a_bad_step_names_rule_and_field():
    data = with_rule_change(4, steps=[{"wait": "soonish"}, {"send": {"template": "howto-video"}}])
    assert problems_of(data) == [
        "pack.yaml: rule 'sc-howto-video', steps[0].wait: 'soonish' is not a duration (write e.g. 25d, 36h or 1d12h)"]


def test_an_undeclared_parameter_is_named():
    data = with_rule_change(4, steps=[{"wait": "$no_such"}, {"send": {"template": "howto-video"}}])
    assert problems_of(data) == [
        "pack.yaml: rule 'sc-howto-video', steps[0].wait: unknown parameter 'no_such' (declare it under parameters)"]


def test_a_parameter_default_of_the_wrong_type_is_named():
    data = document()
    data["parameters"]["loyal_orders"]["default"] = "three"
    assert problems_of(data) == [
        "pack.yaml: parameters.loyal_orders.default: parameter 'loyal_orders' must be of type integer, not 'three'"]


def test_rules_that_fire_each_other_without_a_wait_are_a_cycle():
    data = document()
    data["rules"] += [
        {"id": "ping", "trigger": {"fact": "pong"}, "steps": [{"increment": {"fact": "ping"}}]},
        {"id": "pong", "trigger": {"fact": "ping"}, "steps": [{"increment": {"fact": "pong"}}]},
    ]
    assert problems_of(data) == ["pack.yaml: rules form a cycle: ping → pong → ping"]


def test_every_problem_is_reported_at_once():
    data = document()
    data["rules"][1]["steps"] = [{"wait": "x"}, {"send": {"template": "refill-absorbent"}}]
    data["rules"][2]["trigger"] = {"event": "moon_landing"}
    del data["templates"]["loyal-welcome"]
    assert len(problems_of(data)) == 3


def test_a_newer_masa_is_required():
    assert problems_of(document(min_masa_version="9.0.0")) == [
        f"pack.yaml: min_masa_version: needs Masa 9.0.0, this is {__version__}"]


@pytest.mark.django_db
def test_a_broken_pack_imports_nothing(tmp_path):
    path = tmp_path / "broken.yaml"
    data = document()
    data["rules"][3]["once"] = "always"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CommandError, match=r"broken.yaml: rule 'sc-refill-vitamins', once: 'always' is not one of"):
        call_command("masa_pack", "import", str(path))
    assert (RulePack.objects.count(), Rule.objects.count(), MessageTemplate.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_import_installs_rules_templates_and_values_and_again_is_a_no_op():
    pack = load_pack_file(SENIOR)
    report = import_pack(pack, {"refill_lead": "7d"})
    assert report.changed and "imported 15 rules" in str(report)   # 13 written, 2 from its dosage
    installed = RulePack.objects.get()
    assert installed.resolved_parameters()["refill_lead"] == "7d"
    assert installed.resolved_parameters()["absorbent_period"] == "30d"
    assert MessageTemplate.objects.get(key="thank-you", locale="he").subject.startswith("תודה")
    before = list(Rule.objects.values_list("rule_id", "version", "updated_at"))

    again = import_pack(load_pack_file(SENIOR))
    assert not again.changed
    assert list(Rule.objects.values_list("rule_id", "version", "updated_at")) == before


@pytest.mark.django_db
def test_an_import_with_a_bad_parameter_value_writes_nothing():
    with pytest.raises(PackError, match="parameter 'loyal_orders' must be at least 2"):
        import_pack(load_pack_file(SENIOR), {"loyal_orders": 1})
    assert RulePack.objects.count() == 0 and Rule.objects.count() == 0


@pytest.mark.django_db
def test_the_same_version_with_other_content_is_refused():
    import_pack(load_pack_file(SENIOR))
    data = document(title="Changed title")
    with pytest.raises(PackError, match="give the new content a new version"):
        import_pack(load_pack(yaml.safe_dump(data), "changed.yaml"))


def _version_2():
    data = document(version="9.0.0")
    data["parameters"]["refill_lead"]["default"] = "4d"
    data["parameters"]["reminder_hour"] = {"type": "string", "default": "09:00"}
    del data["parameters"]["introduce_after"]
    for rule in data["rules"]:
        if rule["id"] in ("sc-introduce-skin-care", "sc-introduce-bathroom-safety"):
            rule["steps"][0] = {"wait": "14d"}
        if rule["id"] == "sc-refill-vitamins":
            rule["steps"][0]["wait"]["refill"]["lead"] = "10d"
    data["rules"] = [r for r in data["rules"] if r["id"] != "sc-tier-lapse"]
    data["rules"].append({"id": "sc-review-request", "trigger": {"event": "order_fulfilled"},
                          "steps": [{"wait": "7d"}, {"send": {"template": "thank-you"}}]})
    return load_pack(yaml.safe_dump(data, allow_unicode=True), "senior-care-9.0.0.yaml")


@pytest.mark.django_db
def test_upgrade_keeps_values_flags_and_local_edits_and_reports_changes():
    """A three-way merge: the shop's value and its edit of a rule's steps were changed by the pack
    too (conflicts: without a choice the shop's stays); what only the pack changed is taken."""
    import_pack(load_pack_file(SENIOR), {"refill_lead": "6d", "introduce_after": "20d"})
    Rule.objects.filter(rule_id="sc-thank-you").update(enabled=False)
    edited = Rule.objects.get(rule_id="sc-refill-vitamins")
    edited.definition = {**edited.definition, "steps": [{"wait": "60d"}, {"send": {"template": "refill-vitamins"}}]}
    edited.save()
    local = copy.deepcopy(edited.definition)

    report = upgrade_pack(_version_2())
    text = str(report)

    installed = RulePack.objects.get()
    assert installed.version == "9.0.0"
    assert installed.parameter_values == {"refill_lead": "6d"}
    assert "Remind this long before the expected run-out: yours 6 days, the pack's 4 days — you keep yours" in text
    assert "Introduce another range after: the pack removes it (yours was 20 days)" in text
    assert "Reminder hour: the pack adds it: 09:00" in text
    assert Rule.objects.get(rule_id="sc-thank-you").enabled is False
    assert "A real thank-you after every order — Switched on: we keep your edit: no (the pack's: yes)" in text
    kept = Rule.objects.get(rule_id="sc-refill-vitamins")
    assert kept.definition == local and kept.locally_edited
    assert "Vitamins refill reminder — Steps: yours wait 60 days; email" in text and "— you keep yours" in text
    skin = Rule.objects.get(rule_id="sc-introduce-skin-care")
    assert skin.definition["steps"][0] == {"wait": "14d"} and skin.version == 2
    assert "Absorbent buyers meet the skin-care range — Step 1: wait: the pack changes it from 20 days to 2 weeks" in text
    assert "When an order of the customer is shipped — The rule: the pack adds it" in text
    assert Rule.objects.get(rule_id="sc-review-request").definition["steps"][0] == {"wait": "7d"}
    assert Rule.objects.get(rule_id="sc-tier-lapse").enabled is False
    assert "Loyalty: back to weak after a long silence — The rule: the pack removes it" in text


@pytest.mark.django_db
def test_an_upgrade_preview_writes_nothing():
    import_pack(load_pack_file(SENIOR))
    report = upgrade_pack(_version_2(), dry_run=True)
    assert "When an order of the customer is shipped — The rule: the pack adds it" in str(report)
    assert "(preview" in str(report)
    assert RulePack.objects.get().version == "1.3.0"
    assert not Rule.objects.filter(rule_id="sc-review-request").exists()


@pytest.mark.django_db
def test_export_round_trips_with_the_shops_values_flags_and_edits(tmp_path):
    import_pack(load_pack_file(SENIOR), {"refill_lead": "6d"})
    Rule.objects.filter(rule_id="sc-thank-you").update(enabled=False)
    exported = export_pack("senior-care")
    pack = load_pack(exported, "exported.yaml")
    assert pack.parameters["refill_lead"]["default"] == "6d"
    assert next(r for r in pack.rules if r["id"] == "sc-thank-you")["enabled"] is False
    assert pack.templates["thank-you"]["locales"]["he"]["subject"].startswith("תודה")
    out = tmp_path / "out.yaml"
    call_command("masa_pack", "export", "senior-care", "-o", str(out))
    assert load_pack_file(out).version == "1.3.0"


@pytest.mark.django_db
def test_simulate_reports_what_the_pack_would_do_and_touches_nothing(provider):
    from masa.models import Channel, Delivery, StoreEvent

    Channel.objects.create(name="Shop email", kind="email")
    start = datetime.now(timezone.utc) - timedelta(days=20)
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id="s1", email="sim@example.com", occurred_at=start,
                                  marketing_consent=True,
                                  lines=[{"product_id": "pads", "quantity": 1, "total": 9.0, "category": "absorbent"}])
    assert RuleFiring.objects.count() == 0
    events = sorted(StoreEvent.objects.values_list("pk", "status"))

    results = simulate("senior-care", days=30, pack=load_pack_file(SENIOR))

    assert {(r.rule_id, r.note) for r in results} >= {
        ("sc-thank-you", "would have been sent by now"),
        ("sc-introduce-skin-care", "would have been sent by now"),
        ("sc-refill-absorbent", "still to come"),
    }
    assert next(r for r in results if r.rule_id == "sc-thank-you").subject == "Thank you for your order, there"
    assert (RulePack.objects.count(), Rule.objects.count(), RuleFiring.objects.count(),
            ScheduledAction.objects.count(), Delivery.objects.count()) == (0, 0, 0, 0, 0)
    assert sorted(StoreEvent.objects.values_list("pk", "status")) == events and not provider.requests and not mail.outbox


@pytest.mark.django_db
def test_simulate_runs_the_live_path_so_chains_after_a_sent_message_show(settings):
    """Issue 19, item 8: a rule that follows ``message_sent`` (keep in touch after a thank-you)
    shows in a simulation, as live: the sent message is recorded, only not handed to the channel."""
    from masa.models import Channel, StoreEvent

    Channel.objects.create(name="Shop email", kind="email")
    chained = yaml.safe_load(SENIOR.read_text())
    chained["templates"]["keep-in-touch"] = {"subject": "Still with us?", "body": "Hi {{ customer.first_name }}"}
    chained["rules"].append({"id": "sc-keep-in-touch", "trigger": {"event": "message_sent"},
                             "conditions": [{"event": "template", "value": "thank-you"}],
                             "steps": [{"wait": "3d"}, {"send": {"template": "keep-in-touch"}}]})
    start = datetime.now(timezone.utc) - timedelta(days=10)
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id="s1", email="sim@example.com", occurred_at=start,
                                  marketing_consent=True, first_name="Dana",
                                  lines=[{"product_id": "pads", "quantity": 1, "total": 9.0, "category": "absorbent"}])

    results = simulate("senior-care", days=30, pack=load_pack(yaml.safe_dump(chained, allow_unicode=True)))

    keep = next(r for r in results if r.rule_id == "sc-keep-in-touch")
    assert (keep.note, keep.subject, keep.due_at) == ("would have been sent by now", "Still with us?", start + timedelta(days=3))
    assert not mail.outbox and StoreEvent.objects.filter(name="message_sent").count() == 0


@pytest.mark.django_db
def test_the_command_validates_every_shipped_pack(capsys):
    call_command("masa_pack", "validate", *map(str, PACKS.glob("*/pack.yaml")))
    out = capsys.readouterr().out
    assert "senior-care 1.3.0 is valid" in out and "ecommerce-starter 1.1.0 is valid" in out


@pytest.mark.django_db
def test_the_shipped_packs_come_inside_the_package_and_import_by_name(capsys):
    from masa.packs.shipped import shipped_packs

    assert set(shipped_packs()) == {"senior-care", "ecommerce-starter", "engagement"}
    call_command("masa_pack", "import", "senior-care")
    assert RulePack.objects.get().pack_id == "senior-care" and "senior-care" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_admin_imports_a_shipped_pack_from_a_choice(client, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}  # engagement's links need it
    from django.urls import reverse

    from ..helpers import editor

    client.force_login(editor())
    page = client.get(reverse("masa_pack_import")).content.decode()
    assert '<option value="engagement">\u2068Engagement, message journeys and dates\u2069</option>' in page, "by title"
    preview = client.post(reverse("masa_pack_import"), {"shipped": "engagement"})
    assert "Import the pack" in preview.content.decode() and not RulePack.objects.exists()
    response = client.post(reverse("masa_pack_import"), {"shipped": "engagement", "confirm": "1"})
    assert response.status_code == 302 and RulePack.objects.get().pack_id == "engagement"
