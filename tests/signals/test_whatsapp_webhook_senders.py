"""Who can post to a WhatsApp channel's webhook: only a body signed with the channel's app secret is
stored; a forged, unsigned or oversized one is refused and recorded without its body; a replay of
Meta's own body is stored once and changes nothing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from masa.models import InboundDelivery, StoreEvent

from .whatsapp_meta import (SENT_WAMID, encoded, post_whatsapp, ruth, sent, sign, status_body,  # noqa: F401
                            text_message, whatsapp_channel)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def refusal() -> InboundDelivery:
    row = InboundDelivery.objects.get()
    assert row.status == "rejected" and row.source == "whatsapp" and row.body == ""
    return row


def test_a_body_signed_with_another_secret_is_refused(client, sent):
    body = encoded(status_body("read", NOW))

    response = post_whatsapp(client, sent.channel, body=body, signature=sign(body, "a-guess"))

    assert response.status_code == 401 and response.json()["error"] == "whatsapp_bad_signature"
    assert refusal().reason.startswith("whatsapp_bad_signature")
    assert not StoreEvent.objects.exists()


def test_a_changed_byte_is_refused(client, sent):
    body = encoded(text_message("hello", NOW, context=SENT_WAMID))

    response = post_whatsapp(client, sent.channel, body=body.replace(b"hello", b"STOP!"), signature=sign(body))

    assert response.status_code == 401
    assert not StoreEvent.objects.exists()


def test_an_unsigned_body_is_refused(client, sent):
    response = post_whatsapp(client, sent.channel, status_body("read", NOW), signature=None)

    assert response.status_code == 401 and response.json()["error"] == "whatsapp_missing_signature"
    assert refusal().reason.startswith("whatsapp_missing_signature")


def test_a_channel_without_an_app_secret_accepts_nothing(client, sent):
    sent.channel.secrets = {"access_token": "EAAG-test"}
    sent.channel.save()

    response = post_whatsapp(client, sent.channel, status_body("read", NOW))

    assert response.status_code == 401 and response.json()["error"] == "whatsapp_no_app_secret"
    assert not StoreEvent.objects.exists()


def test_a_replayed_body_is_one_row_and_one_set_of_events(client, sent):
    payload = text_message("Yes please", NOW, context=SENT_WAMID)

    first = post_whatsapp(client, sent.channel, payload)
    second = post_whatsapp(client, sent.channel, payload)

    assert first.json()["status"] == "accepted"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert InboundDelivery.objects.count() == 1
    assert list(StoreEvent.objects.values_list("name", flat=True)) == ["message_replied"]


def test_the_same_events_in_another_body_change_nothing_again(client, sent):
    post_whatsapp(client, sent.channel, status_body("delivered", NOW))
    reordered = status_body("delivered", NOW)
    reordered["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = "again"

    post_whatsapp(client, sent.channel, reordered)

    assert InboundDelivery.objects.count() == 2
    assert StoreEvent.objects.filter(name="message_delivered").count() == 1


def test_an_oversized_body_is_refused_without_being_kept(client, sent, settings):
    settings.MASA = {**settings.MASA, "MAX_WEBHOOK_BYTES": 2048}
    payload = text_message("x" * 4000, NOW)

    response = post_whatsapp(client, sent.channel, payload)

    assert response.status_code == 413 and response.json()["error"] == "whatsapp_too_large"
    assert refusal().reason.startswith("whatsapp_too_large")
    assert not StoreEvent.objects.exists()


def test_the_same_refusal_again_is_counted_not_stored_again(client, sent):
    for _ in range(3):
        post_whatsapp(client, sent.channel, status_body("read", NOW), signature="sha256=00")

    assert refusal().repeats == 3


def test_a_body_that_is_not_utf8_is_refused(client, sent):
    body = b'{"object": "whatsapp_business_account", "entry": "\xff"}'

    response = post_whatsapp(client, sent.channel, body=body)

    assert response.status_code == 400 and refusal().reason.startswith("whatsapp_invalid_utf8")


def test_a_signed_body_that_is_not_metas_shape_is_kept_and_shown_as_not_read(client, sent):
    response = post_whatsapp(client, sent.channel, {"object": "page", "entry": []})

    assert response.status_code == 200
    stored = InboundDelivery.objects.get()
    assert stored.status == "failed" and "not a WhatsApp Business Account webhook" in stored.reason


def test_a_refusal_is_explained_in_words_under_needs_attention(client, sent):
    from masa.admin.attention import rejection_groups

    post_whatsapp(client, sent.channel, status_body("read", NOW), signature="sha256=00")

    [group] = rejection_groups()
    assert str(group.happened) == "A WhatsApp delivery whose signature does not match the channel's app secret."
    assert "app secret in the WhatsApp channel" in str(group.to_do) and group.domains == {"Shop WhatsApp"}
