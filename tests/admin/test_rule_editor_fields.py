"""The rule editor in a shop owner's words: a duration is a number and a unit; a value bound to a
pack parameter shows the shop's value and changes it (or only this rule's); categories come from
the store by name; channels, messages and events are lists of words; an A/B split and a holdout
are added from the form; the customers already waiting are re-timed when the owner asks."""
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from masa.models import Channel, Rule, RulePack, ScheduledAction
from masa.packs.installer import import_pack
from masa.packs.loader import load_pack_file
from masa.saleor import client as saleor_client
from masa.saleor.categories import CACHE_KEY

from ..helpers import editor
from ..saleor_fake import FakeSaleor
from .test_admin_rules import _edit_data, _rule_form, duration, edit_form

pytestmark = pytest.mark.django_db


def edit_url(rule):
    return reverse("wagtailsnippets_masa_rule:edit", args=[rule.pk])


def senior_care():
    import_pack(load_pack_file("packs/senior-care/pack.yaml"))
    return Rule.objects.get(rule_id="sc-refill-absorbent")


def untouched(rule) -> dict:
    """What a browser posts back for the rule's form as it is, published."""
    return {**_edit_data(_rule_form(rule)), "raw_definition": "", "action-publish": "1"}


LEAD = "d__steps__0__wait__refill__lead"


def test_a_duration_is_a_number_and_a_unit_kept_as_the_engine_reads_it(client, refill_rule):
    client.force_login(editor())
    page = client.get(edit_url(refill_rule)).content.decode()
    assert 'type="number" name="d__steps__0__wait_0" value="25"' in page
    assert '<option value="d" selected>days</option>' in page and '<option value="w">weeks</option>' in page
    client.post(edit_url(refill_rule), {**edit_form(refill_rule), **duration("d__steps__0__wait", 2, "w"),
                                        "action-publish": "1"})
    assert Rule.objects.get(pk=refill_rule.pk).definition["steps"][0] == {"wait": "2w"}


def test_a_shared_value_shows_the_shops_value_with_its_words_and_changes_it_for_every_rule_on_publish(client):
    rule = senior_care()
    client.force_login(editor())
    page = client.get(edit_url(rule)).content.decode()
    assert f'name="{LEAD}_0" value="5"' in page
    # (the rule's category is a shared value too: each has its own "For agencies" details)
    before_details = re.sub(r'<details class="masa-agency">.*?</details>', "", page.split("<code>$refill_lead")[0],
                            flags=re.S)
    assert "$refill_lead" not in before_details and "Remind this long before the expected run-out" in before_details
    assert "<bdi>Supplements refill reminder</bdi>" in page and "<bdi>Vitamins refill reminder</bdi>" in page
    assert reverse("masa_pack_parameters", kwargs={"pack_id": "senior-care"}) in page

    client.post(edit_url(rule), {**untouched(rule), **duration(LEAD, 7)})
    pack = RulePack.objects.get(pack_id="senior-care")
    assert pack.resolved_parameters()["refill_lead"] == "7d"
    assert Rule.objects.get(pk=rule.pk).definition["steps"][0]["wait"]["refill"]["lead"] == "$refill_lead"


def test_a_draft_does_not_change_the_shops_value(client):
    rule = senior_care()
    client.force_login(editor())
    data = untouched(rule)
    data.pop("action-publish")
    client.post(edit_url(rule), {**data, **duration(LEAD, 7)})
    assert RulePack.objects.get(pack_id="senior-care").resolved_parameters()["refill_lead"] == "5d"


def test_only_for_this_rule_writes_the_value_into_the_rule_and_leaves_the_shops_value(client):
    rule = senior_care()
    client.force_login(editor())
    client.post(edit_url(rule), {**untouched(rule), **duration(LEAD, 7), f"{LEAD}__own": "on"})
    assert Rule.objects.get(pk=rule.pk).definition["steps"][0]["wait"]["refill"]["lead"] == "7d"
    assert RulePack.objects.get(pack_id="senior-care").resolved_parameters()["refill_lead"] == "5d"


CATEGORIES = {"categories": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [
    {"node": {"id": "Q2F0ZWdvcnk6MQ==", "name": "Absorbent products", "slug": "absorbent", "parent": None}},
    {"node": {"id": "Q2F0ZWdvcnk6Mg==", "name": "Skin care", "slug": "skin-care", "parent": {"name": "Care"}}},
]}}


@pytest.fixture
def connected_store(settings, monkeypatch):
    settings.MASA = {**settings.MASA, "SALEOR_STORES": [{"domain": "shop.example.com", "app_token": "app-token",
                                                         "api_url": "https://shop.example.com/graphql/"}]}
    cache.delete(CACHE_KEY)
    yield monkeypatch
    cache.delete(CACHE_KEY)


def serve(monkeypatch, **answers):
    fake = FakeSaleor(**answers)
    monkeypatch.setattr(saleor_client, "DEFAULT_TRANSPORT", fake.transport())
    return fake


def test_a_category_is_chosen_from_the_stores_categories_by_name_read_once_through_the_app_token(
        client, refill_rule, connected_store):
    fake = serve(connected_store, Categories=CATEGORIES)
    client.force_login(editor())
    page = client.get(edit_url(refill_rule)).content.decode()
    assert '<option value="absorbent" selected translate="no" dir="auto">Absorbent products</option>' in page
    assert '<option value="skin-care" translate="no" dir="auto">Care › Skin care</option>' in page
    client.get(edit_url(refill_rule))
    assert fake.operations() == ["Categories"], "the list is cached"
    assert fake.requests[0]["authorization"] == "Bearer app-token"
    client.post(edit_url(refill_rule), {**edit_form(refill_rule, d__trigger__category="skin-care"),
                                        "action-publish": "1"})
    assert Rule.objects.get(pk=refill_rule.pk).definition["trigger"]["category"] == "skin-care"


def test_without_a_store_or_when_it_cannot_be_reached_a_category_is_typed_and_the_page_says_why(
        client, refill_rule, connected_store):
    import httpx

    client.force_login(editor())
    serve(connected_store, Categories=[httpx.Response(503, json={})] * 2)
    page = client.get(edit_url(refill_rule)).content.decode()
    assert 'type="text" name="d__trigger__category" value="absorbent"' in page
    assert "The store could not be reached just now" in page
    cache.delete(CACHE_KEY)
    connected_store.setattr("masa.saleor.categories.credentials", lambda: None)
    page = client.get(edit_url(refill_rule)).content.decode()
    assert "No Saleor store is connected" in page


def test_channels_messages_and_events_are_lists_in_words(client, refill_rule, email_channel):
    Channel.objects.create(name="Shop SMS", kind="sms")
    client.force_login(editor())
    page = client.get(edit_url(refill_rule)).content.decode()
    assert '<select name="d__steps__2__send__channel"' in page
    assert "By text message (the first SMS channel)" in page and "Through the channel \u2068Shop SMS\u2069" in page
    assert "Time to restock, {first name}?" in page
    assert "(order_placed)" not in page and ">A customer places an order<" in page
    client.post(edit_url(refill_rule), {**edit_form(refill_rule, d__steps__2__send__channel="Shop SMS"),
                                        "action-publish": "1"})
    assert Rule.objects.get(pk=refill_rule.pk).definition["steps"][2]["send"]["channel"] == "Shop SMS"


def test_an_ab_split_and_a_holdout_are_added_from_the_form_and_the_rule_compiles(client, refill_rule):
    from masa.models import MessageTemplate
    from masa.rules.segments import compile_definition

    MessageTemplate.objects.create(key="refill-short", subject="Pads?", body="Reorder now.")
    client.force_login(editor())
    client.post(edit_url(refill_rule), {**edit_form(refill_rule, holdout_percent=10), "action-publish": "1",
                                        "ab__steps__2": "refill-short", "ab__steps__2__share": "30"})
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.holdout_percent == 10
    assert rule.definition["steps"][2] == {"split": {
        "a": {"share": 70, "steps": [{"send": {"channel": "email", "template": "refill-absorbent"}}]},
        "b": {"share": 30, "steps": [{"send": {"channel": "email", "template": "refill-short"}}]}}}
    compile_definition(rule.rule_id, rule.definition, {}, {})
    page = client.get(edit_url(rule)).content.decode()
    assert "version B, share of customers (%)" in page and 'name="d__steps__2__split__b__share" value="30"' in page


def test_a_service_only_rule_offers_no_holdout(client, refill_rule):
    Rule.objects.filter(pk=refill_rule.pk).update(definition={
        "trigger": {"event": "order_placed"}, "steps": [{"send": {"template": "refill-absorbent",
                                                                  "class": "transactional"}}]})
    client.force_login(editor())
    page = client.get(edit_url(Rule.objects.get(pk=refill_rule.pk))).content.decode()
    assert "which are never held out" in page


def test_the_page_says_how_many_are_waiting_and_re_times_them_to_the_new_delay_on_publish(client, pending):
    from django.utils import timezone

    from masa.models import StoreEvent

    rule, ordered = pending.rule, timezone.now() - timedelta(days=2)
    StoreEvent.objects.filter(pk=pending.event_id).update(occurred_at=ordered)
    client.force_login(editor())
    page = client.get(edit_url(rule)).content.decode()
    assert '<strong class="masa-waiting">1</strong> customer is waiting' in page
    assert 'value="retime" required id="id_retime_0" checked' in page or 'value="retime"' in page
    response = client.post(edit_url(rule), {**edit_form(rule, wait=7), "retime": "retime", "action-publish": "1"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert pending.due_at == ordered + timedelta(days=7), "counted from their order"


def test_keeping_their_dates_leaves_the_waiting_customers_as_they_were(client, pending):
    due = pending.due_at
    client.force_login(editor())
    client.post(edit_url(pending.rule), {**edit_form(pending.rule, wait=7), "retime": "keep", "action-publish": "1"})
    pending.refresh_from_db()
    assert pending.due_at == due
    assert Rule.objects.get(pk=pending.rule.pk).definition["steps"][0] == {"wait": "7d"}


def test_a_draft_re_times_no_one(client, pending):
    due = pending.due_at
    client.force_login(editor())
    client.post(edit_url(pending.rule), {**edit_form(pending.rule, wait=7), "retime": "retime"})
    pending.refresh_from_db()
    assert pending.due_at == due and ScheduledAction.objects.filter(status="pending").count() == 1


def test_the_editor_shows_an_owner_no_parameter_names_slugs_or_yaml_outside_the_agency_disclosures(client, pending):
    from .owner_words import engineer_words, visible_text

    senior_care()
    client.force_login(editor())
    for rule in (pending.rule, Rule.objects.get(rule_id="sc-refill-absorbent"),
                 Rule.objects.get(rule_id="sc-howto-video"), Rule.objects.get(rule_id="sc-tier-medium")):
        page = client.get(edit_url(rule)).content.decode()
        assert not engineer_words(page), (rule.rule_id, engineer_words(page))
        shown = " ".join(text.text for text in visible_text(page))
        assert "steps:" not in shown and "(order_placed)" not in shown and "(category_bought)" not in shown


def test_a_page_posted_again_after_its_draft_was_autosaved_is_read_against_its_own_fields(client, refill_rule):
    """Wagtail autosaves a draft as the owner edits; publishing the same page afterwards must not
    split the split again, nor take the page's unchanged YAML for an agency's edit."""
    import json

    from masa.admin.rule_form import RuleForm
    from masa.models import MessageTemplate

    MessageTemplate.objects.create(key="refill-short", subject="Pads?", body="Reorder now.")
    client.force_login(editor())
    page = {**edit_form(refill_rule), "based_on": json.dumps(refill_rule.definition, sort_keys=True),
            "raw_definition": RuleForm._dump(refill_rule.definition), "ab__steps__2": "refill-short",
            "ab__steps__2__share": "30", **duration("d__steps__0__wait", 7)}
    assert client.post(edit_url(refill_rule), page).status_code == 302               # the autosaved draft
    assert "split" in Rule.objects.get(pk=refill_rule.pk).latest_revision.content["definition"]["steps"][2]
    assert client.post(edit_url(refill_rule), {**page, "action-publish": "1"}).status_code == 302
    rule = Rule.objects.get(pk=refill_rule.pk)
    assert rule.definition["steps"][0] == {"wait": "7d"}
    assert rule.definition["steps"][2]["split"]["b"]["steps"] == [
        {"send": {"channel": "email", "template": "refill-short"}}]


def test_changing_a_shared_value_re_times_the_customers_waiting_in_this_rule(client, signing_store, refill_rule):
    from django.utils import timezone

    from ..helpers import place_order

    rule = senior_care()
    place_order(client, signing_store, when=timezone.now() - timedelta(days=1))
    waiting = ScheduledAction.objects.get(rule=rule, status="pending")
    before = waiting.due_at
    client.force_login(editor())
    page = client.get(edit_url(rule)).content.decode()
    assert '<strong class="masa-waiting">1</strong> customer is waiting' in page
    client.post(edit_url(rule), {**untouched(rule), **duration(LEAD, 10), "retime": "retime"})
    waiting.refresh_from_db()
    assert RulePack.objects.get(pack_id="senior-care").resolved_parameters()["refill_lead"] == "10d"
    assert waiting.due_at == before - timedelta(days=5), "reminded 10 days before they run out, not 5"
