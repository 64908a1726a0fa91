"""Rules in the Wagtail admin: the switch and what it does to pending actions, bulk switching,
drafts and publishing with revisions, the audit log, and definitions that must compile."""
import copy
import re

import pytest
from django import forms
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import MessageTemplate, Rule, ScheduledAction
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file
from masa.packs.shipped import shipped_packs
from masa.rules.compiler import walk_steps

from ..helpers import denied, editor, place_order, viewer

pytestmark = pytest.mark.django_db


def switch(client, rule, pending_choice="keep"):
    return client.post(reverse("masa_rule_switch", args=[rule.pk]), {"pending": pending_choice})


def test_switch_page_shows_how_many_actions_are_pending(client, pending):
    client.force_login(editor())
    page = client.get(reverse("masa_rule_switch", args=[pending.rule.pk])).content.decode()
    assert 'class="masa-pending">1<' in page
    assert "Stop them" in page and "Let them finish" in page


def test_turning_off_and_cancelling_cancels_pending_actions_and_is_logged(client, pending):
    user = editor()
    client.force_login(user)
    assert switch(client, pending.rule, "cancel").status_code == 302
    pending.refresh_from_db()
    pending.rule.refresh_from_db()
    assert not pending.rule.enabled
    assert (pending.status, pending.cancel_reason) == ("cancelled", "the rule was turned off")
    entry = ModelLogEntry.objects.get(action="masa.rule.off")
    assert (entry.user, entry.object_id, entry.data) == (user, str(pending.rule.pk), {"cancelled_pending": 1})


def test_turning_off_and_keeping_leaves_pending_actions_to_be_performed(client, pending):
    client.force_login(editor())
    switch(client, pending.rule, "keep")
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not Rule.objects.get(pk=pending.rule.pk).enabled


def test_turning_on_again_is_logged(client, refill_rule):
    client.force_login(editor())
    Rule.objects.filter(pk=refill_rule.pk).update(enabled=False)
    switch(client, refill_rule)
    assert Rule.objects.get(pk=refill_rule.pk).enabled
    assert ModelLogEntry.objects.filter(action="masa.rule.on", object_id=str(refill_rule.pk)).exists()


def test_a_viewer_cannot_switch_rules(client, refill_rule):
    client.force_login(viewer())
    assert denied(switch(client, refill_rule, "cancel"))
    assert client.get(reverse("wagtailsnippets_masa_rule:list")).status_code == 200
    assert denied(client.post(reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk]), {"title": "x"}))
    assert denied(client.post(bulk_url("masa_turn_off", [refill_rule]), {"pending": "cancel"}))
    assert Rule.objects.get(pk=refill_rule.pk).enabled


def bulk_url(action_type, rules):
    url = reverse("wagtail_bulk_action", args=["masa", "rule", action_type])
    return url + "?" + "&".join(f"id={rule.pk}" for rule in rules) + "&next=/admin/"


def test_bulk_turn_off_cancels_when_asked(client, pending, email_channel):
    other = Rule.objects.create(rule_id="other", title="Other", definition=pending.rule.definition)
    client.force_login(editor())
    page = client.get(bulk_url("masa_turn_off", [pending.rule, other])).content.decode()
    assert 'class="masa-pending">1<' in page
    assert client.post(bulk_url("masa_turn_off", [pending.rule, other]), {"pending": "cancel"}).status_code == 302
    assert not Rule.objects.filter(enabled=True).exists()
    assert ScheduledAction.objects.get().status == "cancelled"
    assert ModelLogEntry.objects.filter(action="masa.rule.off").count() == 2
    client.post(bulk_url("masa_turn_on", [pending.rule, other]), {})
    assert Rule.objects.filter(enabled=True).count() == 2


def test_rule_list_filters_by_pack_trigger_and_switch(client, refill_rule):
    Rule.objects.create(rule_id="welcome", title="Welcome note", pack="starter", enabled=False,
                        definition={"trigger": {"event": "customer_created"}, "steps": [{"wait": "1d"}]})
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:list")
    by_pack = client.get(url, {"pack": "starter"}).content.decode()
    assert "Welcome note" in by_pack and "Absorbent products refill" not in by_pack
    by_trigger = client.get(url, {"trigger": "event:order_placed"}).content.decode()
    assert "Absorbent products refill" in by_trigger and "Welcome note" not in by_trigger
    off = client.get(url, {"enabled": "false"}).content.decode()
    assert "Welcome note" in off and "Absorbent products refill" not in off


def duration(name: str, number: int, unit: str = "d") -> dict:
    """What the browser posts for a duration field: its number and its unit."""
    return {f"{name}_0": str(number), f"{name}_1": unit}


def edit_form(rule, wait=25, **changes):
    data = {"title": rule.title, "rule_id": rule.rule_id, "pack": rule.pack,
            **duration("d__steps__0__wait", wait), "d__steps__2__send__template": "refill-absorbent",
            "d__steps__2__send__channel": "email", "d__steps__2__send__class": "marketing",
            "d__trigger__event": "order_placed", "d__trigger__category": "absorbent",
            "d__steps__1__check__not_bought_since__category": "absorbent", "holdout_percent": 0}
    data.update(changes)
    return data


def test_editing_a_delay_is_a_draft_until_published_then_raises_the_version(client, refill_rule):
    user = editor()
    client.force_login(user)
    url = reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk])
    page = client.get(url).content.decode()
    assert "Step 1: wait" in page and 'name="d__steps__0__wait_0" value="25"' in page

    assert client.post(url, edit_form(refill_rule, wait=20)).status_code == 302
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.definition["steps"][0] == {"wait": "25d"} and rule.version == 1
    assert rule.has_unpublished_changes and rule.latest_revision.content["definition"]["steps"][0] == {"wait": "20d"}

    assert client.post(url, {**edit_form(refill_rule, wait=20), "action-publish": "1"}).status_code == 302
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.definition["steps"][0] == {"wait": "20d"} and rule.version == 2
    assert rule.definition["steps"][2] == refill_rule.definition["steps"][2]
    actions = set(ModelLogEntry.objects.filter(object_id=str(rule.pk)).values_list("action", flat=True))
    assert {"wagtail.edit", "wagtail.publish"} <= actions


def test_publishing_an_old_revision_does_not_turn_the_rule_back_on(client, refill_rule):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk])
    client.post(url, {**edit_form(refill_rule), "action-publish": "1"})
    old = Rule.objects.get(pk=refill_rule.pk).latest_revision
    client.post(url, {**edit_form(refill_rule, wait=30), "action-publish": "1"})
    switch(client, refill_rule)
    assert not Rule.objects.get(pk=refill_rule.pk).enabled

    old.publish(user=None)
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.definition["steps"][0] == {"wait": "25d"}
    assert not rule.enabled
    assert rule.version == 3


def test_a_definition_that_does_not_compile_is_refused_with_the_reason(client, refill_rule):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk])
    response = client.post(url, edit_form(refill_rule, wait="soon"))
    assert response.status_code == 200
    assert "Enter a whole number" in response.content.decode()
    raw = "trigger: {event: order_placed}\nsteps:\n  - send: {template: nowhere}\n"
    response = client.post(url, edit_form(refill_rule, raw_definition=raw))
    assert "no message template named nowhere" in response.content.decode()
    response = client.post(url, edit_form(refill_rule, raw_definition="trigger: {event: order_placed}\nsteps: [{wait: 1d}]\nmood: happy\n"))
    assert "unknown field(s) mood" in response.content.decode()
    assert Rule.objects.get(pk=refill_rule.pk).latest_revision is None


def test_agencies_can_replace_the_definition_as_yaml(client, refill_rule):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk])
    raw = ("trigger: {event: order_placed}\nonce: order\nsteps:\n  - wait: 2d\n"
           "  - send: {template: refill-absorbent, channel: sms}\n")
    client.post(url, {**edit_form(refill_rule, raw_definition=raw), "action-publish": "1"})
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.definition == {"trigger": {"event": "order_placed"}, "once": "order",
                               "steps": [{"wait": "2d"}, {"send": {"template": "refill-absorbent", "channel": "sms"}}]}


def test_a_new_rule_is_not_evaluated_before_it_is_published(client, refill_rule):
    from masa.rules.evaluate import active_rules

    client.force_login(editor())
    raw = "trigger: {event: customer_created}\nsteps:\n  - send: {template: refill-absorbent}\n"
    response = client.post(reverse("wagtailsnippets_masa_rule:add"),
                           {"title": "Welcome", "rule_id": "welcome", "pack": "local", "raw_definition": raw})
    assert response.status_code == 302
    rule = Rule.objects.get(rule_id="welcome")
    assert not rule.live
    assert "welcome" not in active_rules().rules
    rule.latest_revision.publish()
    assert "welcome" in active_rules().rules


def test_the_yaml_a_browser_sends_back_unchanged_leaves_the_fields_in_charge(client, refill_rule):
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:edit", args=[refill_rule.pk])
    page = client.get(url).content.decode()
    import html
    import re

    raw = html.unescape(re.search(r'<textarea name="raw_definition"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1))
    client.post(url, {**edit_form(refill_rule, wait=20), "raw_definition": raw.replace("\n", "\r\n"),
                      "action-publish": "1"})
    assert Rule.objects.get(pk=refill_rule.pk).definition["steps"][0] == {"wait": "20d"}


def _edit_data(form) -> dict:
    """What a browser posts back for this form untouched."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if field.disabled:
            continue
        if isinstance(field, forms.MultiValueField):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else part
        elif isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def _rule_form(rule, data=None):
    from django.contrib.auth.models import User

    from masa.admin.rules import RuleViewSet

    user = User.objects.filter(username="edna").first() or editor()
    form_class = RuleViewSet().get_form_class()
    return form_class(data, instance=rule, for_user=user) if data is not None else form_class(instance=rule, for_user=user)


@pytest.mark.parametrize("name", sorted(shipped_packs()))
def test_every_value_of_every_shipped_rule_is_a_field_and_posting_them_back_changes_nothing(name, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack_file(f"packs/{name}/pack.yaml"))
    for rule in Rule.objects.filter(pack=name.replace("_", "-")) or Rule.objects.all():
        form = _rule_form(rule)
        fields = {n for n in form.fields if n.startswith("d__")}
        for path, step in walk_steps(rule.definition["steps"]):
            for kind, argument in step.items():
                if isinstance(argument, (str, int, float)) and not isinstance(argument, bool):
                    assert "d__" + "__".join(map(str, (*path, kind))) in fields, (rule.rule_id, path)
        for key in ("event", "category", "fact", "to"):
            if key in rule.definition["trigger"]:
                assert f"d__trigger__{key}" in fields, (rule.rule_id, key)
        data = _edit_data(form)
        data["raw_definition"] = ""
        bound = _rule_form(rule, data)
        before = copy.deepcopy(rule.definition)
        assert bound.is_valid(), (rule.rule_id, bound.errors)
        assert bound.instance.definition == before, rule.rule_id


def test_the_trigger_a_refill_and_a_branch_are_edited_in_fields(client, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack_file("packs/ecommerce-starter/pack.yaml"))
    refill = Rule.objects.get(rule_id="refill-consumables") if Rule.objects.filter(rule_id="refill-consumables").exists() \
        else next(r for r in Rule.objects.all() if any("refill" in str(s) for s in r.definition["steps"]))
    form = _rule_form(refill)
    data = {**_edit_data(form), "raw_definition": ""}
    lead = next(n for n in form.fields if n.endswith("__wait__refill__lead"))
    data[lead + "__own"] = "on"  # the lead is the pack's parameter: this rule gets its own
    own_rhythm = next(n for n in form.fields if n.endswith("__wait__refill__own_rhythm"))
    data.update(duration(lead, 3))
    data.pop(own_rhythm, None)
    data["d__trigger__category"] = "pads"
    bound = _rule_form(refill, data)
    assert bound.is_valid(), bound.errors
    wait = next(s["wait"] for s in bound.instance.definition["steps"] if "wait" in s)
    assert wait["refill"]["lead"] == "3d" and wait["refill"]["own_rhythm"] is False
    # the category is the pack's parameter: changed in place, it becomes the shop's value on publishing
    assert bound.instance.definition["trigger"]["category"] == "$consumable_category"
    assert bound.parameter_changes == {"consumable_category": "pads"}

    nudge = next(r for r in Rule.objects.all()
                 if any(isinstance(s.get("wait"), dict) and "on_timeout" in s["wait"] for s in r.definition["steps"]))
    form = _rule_form(nudge)
    branch = [n for n in form.fields if "__on_timeout__" in n]
    assert branch, "a branch's steps have fields too"


def test_the_pack_is_a_choice_and_only_the_packs_messages_are_offered(client, refill_rule, settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack_file("packs/ecommerce-starter/pack.yaml"))
    form = _rule_form(refill_rule)
    assert ("local", "This shop's own rules") in form.fields["pack"].choices
    assert any(value == "ecommerce-starter" for value, _ in form.fields["pack"].choices)
    offered = {value for value, _ in form.fields["d__steps__2__send__template"].choices}
    assert "refill-absorbent" in offered
    assert not offered & set(MessageTemplate.objects.filter(pack="ecommerce-starter").values_list("key", flat=True))


def test_a_revision_no_one_wrote_is_said_to_come_from_a_pack_not_by_none(client, refill_rule):
    refill_rule.save_revision()      # as a pack's import or upgrade writes it: no user
    client.force_login(editor())
    url = reverse("wagtailsnippets_masa_rule:revisions_revert", args=[refill_rule.pk, refill_rule.latest_revision.pk])
    page = client.get(url).content.decode()
    assert "written when a pack was imported or upgraded" in page
    assert not re.search(r">\s*None\s*<", page)
