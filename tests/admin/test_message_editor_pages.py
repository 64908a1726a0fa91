"""The message editor and the messages list, without a browser: lists in words (language, channel,
pack by name; merge tags as words), "Used by N rules" counted from the rules that send a message,
one tab per language (Hebrew right to left), adding a language version, and the live preview
of typed text for a real customer — escaped, sandboxed, for who may change messages."""
import html
import re

import pytest
from django.urls import reverse

from masa.admin.message_tags import merge_tags
from masa.models import Customer, MessageTemplate, Rule, RulePack
from masa.rendering import render, sample_context

from ..helpers import denied, editor, in_hebrew, viewer

pytestmark = pytest.mark.django_db
LIST = "wagtailsnippets_masa_messagetemplate:list"


def cells(page: str) -> list[str]:
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]


@pytest.fixture
def hebrew_version(refill_rule):
    return MessageTemplate.objects.create(key="refill-absorbent", locale="he", channel_kind="email",
                                          subject="נגמרים לך, {{ customer.first_name }}?",
                                          body="שלום {{ customer.first_name }}, ההזמנה #{{ order.number }} נגמרת.")


def test_the_messages_list_speaks_words_and_counts_the_rules_that_send_each(client, hebrew_version):
    RulePack.objects.create(pack_id="senior-care", title="Senior care", version="1.0.0")
    MessageTemplate.objects.create(key="unused", pack="senior-care", channel_kind="sms", body="Hello {{ customer.first_name }}")
    client.force_login(viewer())
    page = client.get(reverse(LIST)).content.decode()
    shown = cells(page)
    assert "Time to restock, first name?" in shown and "Used by 1 rule" in shown, "the refill rule sends it"
    assert "No rule sends it" in shown
    assert {"Every language (the default)", "Hebrew", "Any channel, Email", "Email version", "SMS", "Senior care",
            "This shop's own messages"} <= set(shown), "the main text lists its channel versions, a version says which"
    assert "{{" not in " ".join(shown) and "senior-care" not in shown
    assert '<bdi dir="auto">נגמרים לך, <span class="masa-tag-word" dir="auto">first name</span>?</bdi>' in page


def test_used_by_counts_every_version_and_a_rule_sending_it_in_a_branch(client, hebrew_version):
    Rule.objects.create(rule_id="split", title="Split test", definition={
        "trigger": {"event": "order_placed"},
        "steps": [{"split": {"a": {"share": 50, "steps": [{"send": {"template": "refill-absorbent"}}]},
                             "b": {"share": 50, "steps": [{"send": {"template": "other"}}]}}}]})
    client.force_login(editor())
    edit = client.get(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[hebrew_version.pk])).content.decode()
    assert "Used by 2 rules" in edit and "Used 0 times" not in edit
    usage = client.get(reverse("wagtailsnippets_masa_messagetemplate:usage", args=[hebrew_version.pk])).content.decode()
    assert "Absorbent products refill" in usage and "Split test" in usage


def test_language_channel_and_pack_are_lists_and_hebrew_is_edited_right_to_left(client, hebrew_version):
    client.force_login(editor())
    page = client.get(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[hebrew_version.pk])).content.decode()
    for name in ("locale", "channel_kind", "pack"):
        assert re.search(rf'<select name="{name}"', page), name
    assert re.search(r'<option value="he"[^>]*selected[^>]*>Hebrew</option>', page)
    assert re.search(r'<textarea[^>]*name="body"[^>]*dir="rtl"|<textarea[^>]*dir="rtl"[^>]*name="body"', page)
    tabs = re.search(r'<nav class="masa-language-tabs".*?</nav>', page, re.S).group(0)
    assert 'aria-current="page">Hebrew<' in tabs
    channels = re.search(r'<nav class="masa-channel-tabs".*?</nav>', page, re.S).group(0)
    assert ">Any channel<" in channels and 'aria-current="page">Email version<' in channels, \
        "the Hebrew text saved for email is the message's email version beside its text for any channel"


def test_saving_from_the_lists(client, refill_rule):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(editor())
    response = client.post(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk]), {
        "key": "refill-absorbent", "locale": "", "channel_kind": "sms", "pack": "",
        "subject": "", "body": "Hi {{ customer.first_name }}", "html_body": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert (template.channel_kind, template.body) == ("sms", "Hi {{ customer.first_name }}")
    refused = client.post(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk]), {
        "key": "refill-absorbent", "locale": "xx-made-up", "channel_kind": "pigeon", "pack": "",
        "subject": "", "body": "Hi", "html_body": ""})
    assert refused.status_code == 200 and MessageTemplate.objects.get(pk=template.pk).channel_kind == "sms"


def test_adding_a_language_opens_a_version_with_the_text_to_translate(client, refill_rule):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    client.force_login(editor())
    edit = client.get(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk])).content.decode()
    assert 'class="masa-add-language"' in edit and '<option value="he">Hebrew</option>' in edit
    page = client.get(reverse("wagtailsnippets_masa_messagetemplate:add"), {"from": template.pk, "locale": "he"})
    text = page.content.decode()
    assert "your order #{{ order.number }} will run out soon" in html.unescape(text)
    assert re.search(r'<option value="he"[^>]*selected', text) and 'dir="rtl"' in text
    response = client.post(reverse("wagtailsnippets_masa_messagetemplate:add"), {
        "key": "refill-absorbent", "locale": "he", "channel_kind": "", "pack": "",
        "subject": "נגמר לך, {{ customer.first_name }}?", "body": "שלום", "html_body": ""})
    assert response.status_code == 302
    assert set(MessageTemplate.objects.filter(key="refill-absorbent").values_list("locale", flat=True)) == {"", "he"}


def test_the_merge_tags_listed_are_the_ones_a_send_fills_in_words():
    tags = {tag.name: tag for tag in merge_tags()}
    assert tags["customer.first_name"].label == "first name" and tags["order.number"].label == "order number"
    assert tags["order.products"].tag == '{{ order.products|join:", " }}'
    assert "voucher.code" not in tags and "product.id" not in tags, "no voucher unless a rule sends one"
    sample = sample_context()
    for tag in tags.values():
        assert render(MessageTemplate(key="t", body=tag.tag), sample).body, tag.name
        assert "{" not in tag.label and "_" not in tag.label


def test_a_message_sent_with_a_voucher_offers_the_voucher_tags(refill_rule):
    refill_rule.definition["steps"][-1]["send"]["voucher"] = {"discount": 10}
    refill_rule.save()
    assert "voucher.code" in {tag.name for tag in merge_tags("refill-absorbent")}


def test_the_live_preview_makes_the_typed_text_for_a_customer_escaped(client, ruth):
    Customer.objects.filter(pk=ruth.pk).update(first_name="<b>Ruth</b>")
    client.force_login(editor())
    url = reverse("masa_message_live_preview")
    page = client.post(url, {"subject": "For {{ customer.first_name }}", "body": "Order #{{ order.number }}",
                             "html_body": "<p>{{ customer.first_name }}</p>", "customer": ruth.pk,
                             "channel_kind": "sms"}).content.decode()
    number = ruth.events.get(name="order_placed").data["number"]
    assert "For &lt;b&gt;Ruth&lt;/b&gt;" in page and f"Order #{number}" in page and "<b>Ruth" not in page
    assert '<iframe class="masa-html-preview" sandbox=""' in page
    assert "SMS part" in page
    broken = client.post(url, {"body": "{% if %}", "customer": ruth.pk}).content.decode()
    assert "This text cannot be made yet" in broken
    script = client.post(url, {"html_body": "<script>alert(1)</script>", "customer": ruth.pk}).content.decode()
    assert "<script>" not in script and "not allowed" in script


def test_only_who_may_change_messages_previews_typed_text(client, ruth):
    client.force_login(viewer())
    assert denied(client.post(reverse("masa_message_live_preview"), {"body": "{{ customer.email }}", "customer": ruth.pk}))
    assert denied(client.get(reverse("masa_message_customers"), {"q": "ruth"}))
    client.logout()
    assert client.post(reverse("masa_message_live_preview"), {"body": "x"}).status_code == 302


def test_the_preview_customer_is_found_by_name(client, ruth):
    client.force_login(editor())
    options = client.get(reverse("masa_message_customers"), {"q": "levi"}).content.decode()
    assert f'<option value="{ruth.pk}"' in options and "Ruth Levi" in options
    none = client.get(reverse("masa_message_customers"), {"q": "nobody-here"}).content.decode()
    assert "No customer matches" in none


def test_the_editor_shows_the_saved_text_for_a_recent_customer_and_the_sms_counter(client, ruth, refill_rule):
    template = MessageTemplate.objects.get(key="refill-absorbent")
    template.channel_kind = "sms"
    template.save()
    client.force_login(editor())
    page = client.get(reverse("wagtailsnippets_masa_messagetemplate:edit", args=[template.pk])).content.decode()
    assert "Time to restock, Ruth?" in page and "data-masa-sms-count" in page
    assert 'data-masa-sms-count aria-live="polite" hidden' not in page, "shown for an SMS"
    assert re.search(r'<option value="first_name"|>first name</option>', page)


def test_the_editor_page_in_hebrew_has_its_words_translated_or_isolated(client, hebrew_version):
    from .owner_words import engineer_words

    user = in_hebrew(editor())
    client.force_login(user)
    for url in (reverse("wagtailsnippets_masa_messagetemplate:edit", args=[hebrew_version.pk]), reverse(LIST)):
        assert not engineer_words(client.get(url).content.decode()), url


def test_deleting_the_last_version_names_the_rules_whose_sends_would_fail(client, hebrew_version, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("owner", "owner@shop.example", "x"))
    delete = "wagtailsnippets_masa_messagetemplate:delete"
    default = MessageTemplate.objects.get(key="refill-absorbent", locale="")
    other = client.get(reverse(delete, args=[hebrew_version.pk])).content.decode()
    assert "will get the message's version for every language instead" in other and "referenced 0" not in other
    hebrew_version.delete()
    last = client.get(reverse(delete, args=[default.pk])).content.decode()
    assert "One rule sends this message, and this is its last version" in last
    assert "<bdi>Absorbent products refill</bdi>" in last
