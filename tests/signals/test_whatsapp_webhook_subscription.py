"""Meta's subscription check (GET): only the channel's verify token gets the challenge back, and
only a challenge that is a short token is ever echoed."""
import pytest

from masa.models import InboundDelivery

from .whatsapp_meta import VERIFY_TOKEN, whatsapp_channel  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def subscribe(client, channel_pk, token=VERIFY_TOKEN, challenge="1158201444", mode="subscribe"):
    return client.get(f"/masa/webhooks/whatsapp/{channel_pk}/",
                      {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge})


def test_the_right_verify_token_gets_the_challenge_back_as_plain_text(client, whatsapp_channel):
    response = subscribe(client, whatsapp_channel.pk)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"
    assert not InboundDelivery.objects.exists()


def test_a_wrong_verify_token_is_refused_and_recorded(client, whatsapp_channel):
    response = subscribe(client, whatsapp_channel.pk, token="guessed")

    assert response.status_code == 403 and b"1158201444" not in response.content
    refusal = InboundDelivery.objects.get()
    assert refusal.status == "rejected" and refusal.source == "whatsapp"
    assert refusal.reason.startswith("whatsapp_bad_verify_token") and refusal.domain == "Shop WhatsApp"
    assert "guessed" not in str(refusal.headers) and refusal.body == ""


def test_a_challenge_that_is_not_a_short_token_is_never_echoed(client, whatsapp_channel):
    response = subscribe(client, whatsapp_channel.pk, challenge="<script>alert(1)</script>")

    assert response.status_code == 403 and b"script" not in response.content


def test_another_mode_is_refused(client, whatsapp_channel):
    assert subscribe(client, whatsapp_channel.pk, mode="unsubscribe").status_code == 403


def test_an_unknown_or_disabled_channel_is_not_found(client, whatsapp_channel, email_channel):
    assert subscribe(client, whatsapp_channel.pk + 1000).status_code == 404
    assert subscribe(client, email_channel.pk).status_code == 404   # not a WhatsApp channel
    whatsapp_channel.enabled = False
    whatsapp_channel.save()
    assert subscribe(client, whatsapp_channel.pk).status_code == 404
    codes = {row.reason.split(":")[0] for row in InboundDelivery.objects.all()}
    assert codes == {"whatsapp_unknown_channel", "whatsapp_channel_disabled"}
