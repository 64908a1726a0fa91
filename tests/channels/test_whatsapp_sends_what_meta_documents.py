"""The WhatsApp channel against a fake Cloud API at the httpx edge: the requests it makes are the
payloads Meta documents for the messages endpoint (an approved template with its language and body
parameters; free text inside the 24-hour window), with the bearer token; outside the window a
message without a template is refused before any request; numbers are normalised or refused in
words; a channel missing settings says which; an agency's API address passes the address guard."""
import json

import httpx
import pytest

from masa.channels import OutgoingMessage, PermanentChannelError, backend_for
from masa.channels.safety import channel_problems
from masa.channels.whatsapp import WhatsAppChannel
from masa.models import Channel
from masa.whatsapp_cloud import GRAPH_API

pytestmark = pytest.mark.django_db
CONFIG = {"phone_number_id": "106540352242922"}
SECRETS = {"access_token": "EAAGm0PX4ZCps", "app_secret": "app-s3cret", "verify_token": "v3rify"}
WAMID = "wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSQkM1RjVBQzY4NTlGMzQ4MzE2AA=="
TEMPLATE = {"name": "restock_reminder", "language": "he", "parameters": ["Ruth", "קפה אתיופי"]}


@pytest.fixture
def cloud_api(provider):
    provider.respond = lambda request: httpx.Response(200, json={
        "messaging_product": "whatsapp", "contacts": [{"input": "972501234567", "wa_id": "972501234567"}],
        "messages": [{"id": WAMID}]})
    return provider


def whatsapp(config=None, secrets=None):
    return Channel.objects.create(name=f"WhatsApp {Channel.objects.count() + 1}", kind="whatsapp", config={**CONFIG, **(config or {})},
                                  secrets={**SECRETS, **(secrets or {})})


def message(**fields):
    return OutgoingMessage(**{"to": "+972501234567", "subject": "", "body": "Time to restock, Ruth?",
                              "key": "restock:customer:7:step:0", **fields})


def test_an_approved_template_goes_with_its_language_and_body_parameters(cloud_api):
    result = backend_for(whatsapp()).send(message(provider_template=TEMPLATE))
    [request] = cloud_api.requests
    assert request.method == "POST"
    assert str(request.url) == f"{GRAPH_API}/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer EAAGm0PX4ZCps"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body.pop("biz_opaque_callback_data") == message().stable_id
    assert body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "972501234567", "type": "template",
        "template": {"name": "restock_reminder", "language": {"code": "he"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ruth"}, {"type": "text", "text": "קפה אתיופי"}]}]}}
    assert result.provider_message_id == WAMID


def test_a_template_goes_even_when_the_window_is_closed_and_without_parameters_has_no_components(cloud_api):
    backend_for(whatsapp()).send(message(provider_template={"name": "hello_world", "language": "en_US"}))
    body = json.loads(cloud_api.requests[-1].content)
    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


def test_a_parameter_with_new_lines_or_long_spaces_goes_as_one_line(cloud_api):
    template = {**TEMPLATE, "parameters": ["Ruth\nCohen", "a\t\tb      c"]}
    backend_for(whatsapp()).send(message(provider_template=template))
    parameters = json.loads(cloud_api.requests[-1].content)["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Ruth Cohen", "a b c"]


def test_free_text_goes_while_the_customer_window_is_open(cloud_api):
    backend_for(whatsapp()).send(message(window_open=True))
    body = json.loads(cloud_api.requests[-1].content)
    assert body["type"] == "text" and body["text"] == {"preview_url": False, "body": "Time to restock, Ruth?"}
    assert "template" not in body


def test_free_text_outside_the_window_is_refused_in_words_before_any_request(cloud_api):
    with pytest.raises(PermanentChannelError, match="more than 24 hours since the customer last wrote on WhatsApp, "
                                                    "and this message has no approved WhatsApp template"):
        backend_for(whatsapp()).send(message(window_open=False))
    assert cloud_api.requests == []


@pytest.mark.parametrize("written, sent", [
    ("972501234567", "972501234567"),
    ("+972 50-123-4567", "972501234567"),
    ("00972 (50) 123 4567", "972501234567"),
])
def test_a_number_without_plus_or_with_spaces_is_normalised(cloud_api, written, sent):
    backend_for(whatsapp()).send(message(to=written, window_open=True))
    assert json.loads(cloud_api.requests[-1].content)["to"] == sent


@pytest.mark.parametrize("written, says", [
    ("050-123-4567", "not in international form"),
    ("call me", "not in international form"),
    ("", "has no phone number"),
])
def test_a_number_that_is_not_international_is_refused_in_words(cloud_api, written, says):
    with pytest.raises(PermanentChannelError, match=says):
        backend_for(whatsapp()).send(message(to=written, window_open=True))
    assert cloud_api.requests == []


def test_a_channel_missing_settings_names_them_and_sends_nothing(cloud_api):
    channel = Channel.objects.create(name="Half", kind="whatsapp", config={}, secrets={})
    with pytest.raises(PermanentChannelError, match="missing its phone number ID and access token"):
        backend_for(channel).send(message(window_open=True))
    assert cloud_api.requests == []
    problems = WhatsAppChannel.problems({}, {})
    assert "Enter the phone number ID from Meta" in problems and "Enter the access token of your Meta app" in problems
    assert "Enter your Meta app's secret" in problems
    assert WhatsAppChannel.problems(CONFIG, SECRETS) == []


def test_a_phone_number_in_place_of_its_id_is_a_problem_in_words_and_never_a_path(cloud_api):
    [problem] = WhatsAppChannel.problems({"phone_number_id": "+972501234567"}, SECRETS)
    assert "digits only" in problem
    with pytest.raises(PermanentChannelError, match="not digits only"):
        backend_for(whatsapp({"phone_number_id": "1065/../../me/accounts"})).send(message(window_open=True))
    assert cloud_api.requests == []


def test_an_agencys_api_address_is_used_and_a_private_one_refused(cloud_api):
    backend_for(whatsapp({"api_base": "https://graph.agency.example/v21.0/"})).send(message(window_open=True))
    assert str(cloud_api.requests[-1].url) == "https://graph.agency.example/v21.0/106540352242922/messages"
    private = whatsapp({"api_base": "https://10.0.0.5/v21.0"})
    with pytest.raises(PermanentChannelError, match="refused destination"):
        backend_for(private).send(message(window_open=True))
    assert len(cloud_api.requests) == 1
    assert channel_problems("whatsapp", {**CONFIG, "api_base": "http://169.254.169.254/latest"}, SECRETS,
                            WhatsAppChannel.url_fields)


def test_a_test_send_is_the_configured_approved_template(cloud_api):
    channel = whatsapp({"test_template": "shop_test", "test_language": "he"})
    backend = backend_for(channel)
    backend.send(backend.test_message("+972540001111", "Test message from Masa: this channel works."))
    body = json.loads(cloud_api.requests[-1].content)
    assert body["to"] == "972540001111" and body["template"] == {"name": "shop_test", "language": {"code": "he"}}
    default = backend_for(whatsapp()).test_message("+972540001111", "hi")
    assert default.provider_template == {"name": "hello_world", "language": "en_US", "parameters": []}
