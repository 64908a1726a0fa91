"""Meta's error answers become the two failures the scheduler knows, in words a shop owner reads on
the Delivery (the code in parentheses at the end): the code decides whether trying again helps; a
code Masa does not know is as transient as its HTTP status, and says Meta's own title."""
import httpx
import pytest

from masa.channels import OutgoingMessage, PermanentChannelError, TransientChannelError, backend_for
from masa.models import Channel
from masa.whatsapp_cloud import error_words

pytestmark = pytest.mark.django_db
MESSAGE = OutgoingMessage(to="+972501234567", subject="", body="hi",
                          provider_template={"name": "restock_reminder", "language": "he", "parameters": ["Ruth"]})


def meta_error(status, code, message="(#%s) Meta's title", details="Meta's details"):
    return httpx.Response(status, json={"error": {
        "message": message % code if "%s" in message else message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}})


def send(provider, answer):
    provider.answers = [answer]
    channel = Channel.objects.create(name=f"WhatsApp {Channel.objects.count() + 1}", kind="whatsapp", config={"phone_number_id": "1065403"},
                                     secrets={"access_token": "EAAG", "app_secret": "a"})
    backend_for(channel).send(MESSAGE)


@pytest.mark.parametrize("status, code, error, words", [
    (400, 131026, PermanentChannelError, "not on WhatsApp"),
    (400, 131047, PermanentChannelError, "more than 24 hours since the customer last wrote on WhatsApp"),
    (400, 132000, PermanentChannelError, "parameters do not match"),
    (404, 132001, PermanentChannelError, "does not exist in this language, or is not approved"),
    (400, 132005, PermanentChannelError, "too long"),
    (400, 132007, PermanentChannelError, "formatting policy"),
    (400, 132012, PermanentChannelError, "do not match its approved format"),
    (400, 132015, PermanentChannelError, "template is paused"),
    (400, 132016, PermanentChannelError, "template is disabled"),
    (429, 130429, TransientChannelError, "rate limit"),
    (400, 131056, TransientChannelError, "too many messages to this customer"),
    (429, 80007, TransientChannelError, "rate limit"),
    (400, 131049, PermanentChannelError, "Meta chose not to deliver"),
    (500, 131000, TransientChannelError, "something went wrong at WhatsApp"),
    (503, 131016, TransientChannelError, "temporarily unavailable"),
    (401, 190, PermanentChannelError, "access token has expired or is invalid"),
    (400, 100, PermanentChannelError, "rejected a parameter"),
    (400, 131021, PermanentChannelError, "business's own WhatsApp number"),
    (403, 131031, PermanentChannelError, "account is locked"),
    (403, 368, PermanentChannelError, "blocked for a policy violation"),
])
def test_each_error_code_is_words_and_transient_or_permanent(provider, status, code, error, words):
    with pytest.raises(error) as raised:
        send(provider, meta_error(status, code))
    said = str(raised.value)
    assert words in said and said.endswith(f"(code {code})")
    assert "OAuthException" not in said and "fbtrace" not in said


def test_a_code_masa_does_not_know_says_metas_title_and_follows_the_http_status(provider):
    with pytest.raises(PermanentChannelError, match=r"WhatsApp refused the message \(code 135000: Generic user error"):
        send(provider, meta_error(400, 135000, message="Generic user error", details=""))
    with pytest.raises(TransientChannelError, match="code 2: Service temporarily unavailable"):
        send(provider, meta_error(503, 2, message="Service temporarily unavailable", details=""))


def test_an_answer_that_is_not_metas_error_follows_the_http_status(provider):
    with pytest.raises(TransientChannelError, match="502 Bad Gateway"):
        send(provider, httpx.Response(502, text="<html>proxy down</html>"))
    with pytest.raises(PermanentChannelError, match="403 Forbidden"):
        send(provider, httpx.Response(403, text="no"))
    with pytest.raises(TransientChannelError):
        send(provider, httpx.ConnectError("refused"))


def test_details_are_added_where_they_say_what_to_fix_and_kept_short(provider):
    with pytest.raises(PermanentChannelError) as raised:
        send(provider, meta_error(400, 132000, details="body: number of localizable_params (1) does not match "
                                                       "the expected number of params (2)" + " x" * 300))
    said = str(raised.value)
    assert "expected number of params (2)" in said and len(said) < 400


def test_every_listed_code_has_words_and_an_unknown_one_keeps_metas_title():
    assert error_words(131047)[0].startswith("more than 24 hours")
    assert error_words("130429") == error_words(130429) and error_words(130429)[1] is True
    assert error_words(999999, "Odd\nthing", "") == ("WhatsApp refused the message (code 999999: Odd thing)", False)
    assert error_words(None) == ("WhatsApp refused the message (no reason given)", False)


@pytest.mark.parametrize("answer", [
    httpx.Response(400, json={"error": "not Meta's shape"}),
    httpx.Response(400, json=["error"]),
    httpx.Response(400, json={"error": {"code": "x" * 5000, "message": "\n" * 50, "error_data": "details"}}),
])
def test_an_answer_in_another_shape_is_still_a_permanent_failure_in_a_few_words(provider, answer):
    with pytest.raises(PermanentChannelError) as raised:
        send(provider, answer)
    assert len(str(raised.value)) < 400


def test_an_accepted_message_without_an_id_is_sent_with_none_and_a_long_id_is_cut(provider):
    provider.answers = [httpx.Response(200, json={"messages": "accepted"}),
                        httpx.Response(200, json={"messages": [{"id": "w" * 5000}]})]
    channel = Channel.objects.create(name="Odd answers", kind="whatsapp", config={"phone_number_id": "1065403"},
                                     secrets={"access_token": "EAAG", "app_secret": "a"})
    assert backend_for(channel).send(MESSAGE).provider_message_id == ""
    assert len(backend_for(channel).send(MESSAGE).provider_message_id) == 255
