"""Issue 32: the message editor has a tab per channel version ("Email", "SMS version", "WhatsApp
version"); *Add an SMS version* opens one with the text copied; a WhatsApp version saves its
approved template (name, language, a merge tag per variable) and loads it back; a bad name is said
in words with nothing typed lost; the live preview shows what would fill each variable, escaped;
the messages list says a message's versions in words."""
import html
import re

import pytest
from django.urls import reverse

from masa.models import MessageTemplate

from ..helpers import editor, viewer

pytestmark = pytest.mark.django_db
ADD = "wagtailsnippets_masa_messagetemplate:add"
EDIT = "wagtailsnippets_masa_messagetemplate:edit"


@pytest.fixture
def email_message():
    return MessageTemplate.objects.create(key="win-back", channel_kind="email", subject="We miss you",
                                          body="Hi {{ customer.first_name }}, 10% off.", html_body="<p>Hi</p>")


def _form(**fields):
    return {"key": "win-back", "locale": "", "pack": "", "subject": "", "html_body": "", **fields}


def test_adding_an_sms_version_copies_the_text_and_it_gets_its_own_tab_and_counter(client, email_message):
    client.force_login(editor())
    edit = client.get(reverse(EDIT, args=[email_message.pk])).content.decode()
    assert "Add an SMS version" in edit and "Add a WhatsApp version" in edit
    page = html.unescape(client.get(reverse(ADD), {"from": email_message.pk, "kind": "sms"}).content.decode())
    assert "Hi {{ customer.first_name }}, 10% off." in page and "We miss you" not in page
    assert re.search(r'<option value="sms"[^>]*selected', page)
    response = client.post(reverse(ADD), _form(channel_kind="sms", body="{{ customer.first_name }}: 10% off"))
    assert response.status_code == 302, response.content.decode()[:2000]
    sms = MessageTemplate.objects.get(key="win-back", channel_kind="sms")
    page = client.get(reverse(EDIT, args=[sms.pk])).content.decode()
    channels = re.search(r'<nav class="masa-channel-tabs".*?</nav>', page, re.S).group(0)
    assert ">Email</a>" in channels and 'aria-current="page">SMS version<' in channels
    assert "Add an SMS version" not in channels and "Add a WhatsApp version" in channels
    assert 'data-masa-sms-count aria-live="polite" hidden' not in page
    assert re.search(r"data-masa-approved hidden", page), "no approved template on an SMS"


def test_a_whatsapp_version_saves_its_approved_template_and_loads_it_back(client, email_message):
    client.force_login(editor())
    response = client.post(reverse(ADD), {
        **_form(channel_kind="whatsapp", body="Hi {{ customer.first_name }}", template_name="win_back_offer",
                template_language="en_US"),
        "template_variables": ["{{ customer.first_name }}", "{{ order.number }}", ""]})
    assert response.status_code == 302, response.content.decode()[:3000]
    version = MessageTemplate.objects.get(key="win-back", channel_kind="whatsapp")
    assert version.provider_template == {"name": "win_back_offer", "language": "en_US",
                                         "variables": ["{{ customer.first_name }}", "{{ order.number }}"]}
    page = client.get(reverse(EDIT, args=[version.pk])).content.decode()
    assert 'value="win_back_offer"' in page and "data-masa-approved hidden" not in page
    assert "Approved WhatsApp template (name as in your WhatsApp Manager)" in page
    assert re.search(r'<option value="\{\{ customer.first_name \}\}" selected>first name</option>', page)
    assert re.search(r'<option value="\{\{ order.number \}\}" selected>order number</option>', page)


def test_a_bad_template_name_is_said_in_words_and_nothing_typed_is_lost(client, email_message):
    client.force_login(editor())
    page = client.post(reverse(ADD), {
        **_form(channel_kind="whatsapp", body="The text I typed", template_name="Win Back!"),
        "template_variables": ["{{ customer.first_name }}"]})
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert "Write the name exactly as in WhatsApp Manager" in text and "The text I typed" in text
    assert re.search(r'<option value="\{\{ customer.first_name \}\}" selected>', text)
    assert not MessageTemplate.objects.filter(channel_kind="whatsapp").exists()
    sms = client.post(reverse(ADD), _form(channel_kind="sms", body="x", template_name="win_back_offer"))
    assert "Only a WhatsApp text is sent as an approved template" in html.unescape(sms.content.decode())
    language = client.post(reverse(ADD), _form(channel_kind="whatsapp", body="x", template_name="win_back_offer"))
    assert "choose it" in html.unescape(language.content.decode()), "the default language says no WhatsApp code"


def test_the_live_preview_shows_what_fills_each_variable_as_text(client, ruth):
    ruth.first_name = "<b>Ruth</b>"
    ruth.save()
    client.force_login(editor())
    page = client.post(reverse("masa_message_live_preview"), {
        "body": "Hi", "customer": ruth.pk, "channel_kind": "whatsapp", "locale": "he",
        "template_name": "win_back_offer", "template_variables": ["{{ customer.first_name }}"]}).content.decode()
    assert "win_back_offer" in page and "(<bdi dir=\"ltr\">he</bdi>)" in page
    assert "<bdi>&lt;b&gt;Ruth&lt;/b&gt;</bdi>" in page and "<b>Ruth" not in page
    empty = client.post(reverse("masa_message_live_preview"), {
        "body": "Hi", "customer": ruth.pk, "channel_kind": "whatsapp", "locale": "he",
        "template_name": "win_back_offer", "template_variables": ["{{ customer.nothing }}"]}).content.decode()
    assert "The approved template cannot go to this customer" in empty and "is empty for this customer" in empty


def test_the_messages_list_says_the_versions_in_words(client, email_message):
    MessageTemplate.objects.create(key="win-back", channel_kind="sms", body="SMS")
    MessageTemplate.objects.create(key="win-back", channel_kind="whatsapp", body="WhatsApp")
    client.force_login(viewer())
    cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", client.get(
                 reverse("wagtailsnippets_masa_messagetemplate:list")).content.decode(), re.S)]
    assert {"Email, SMS, WhatsApp", "SMS version", "WhatsApp version"} <= set(cells)


def test_a_whatsapp_test_from_the_preview_goes_as_the_approved_template_made_for_the_customer(ruth, email_message):
    from masa.admin.preview import preview, test_template
    from masa.approved_templates import ApprovedTemplateError
    from masa.models import Channel

    MessageTemplate.objects.create(key="win-back", channel_kind="whatsapp", body="Hi {{ customer.first_name }}",
                                   provider_template={"name": "win_back_offer", "language": "en_US",
                                                      "variables": ["{{ customer.first_name }}"]})
    whatsapp = Channel(name="wa", kind="whatsapp")
    shown = preview("win-back", ruth, "whatsapp")
    assert shown.message.body == "Hi Ruth"
    assert test_template(shown, whatsapp) == {"name": "win_back_offer", "language": "en_US", "parameters": ["Ruth"]}
    assert test_template(preview("win-back", ruth, "email"), Channel(name="mail", kind="email")) is None
    MessageTemplate.objects.filter(channel_kind="whatsapp").update(
        provider_template={"name": "win_back_offer", "language": "en_US", "variables": ["{{ customer.nothing }}"]})
    with pytest.raises(ApprovedTemplateError, match="is empty for this customer"):
        test_template(preview("win-back", ruth, "whatsapp"), whatsapp)
