"""The rule editor with a ``channel: preferred`` send (issue 32): the channel reads in words, the
channels to choose among are a list in words, and a wrong list — what a staff member can type —
is refused in words and changes nothing."""
import pytest
from django.urls import reverse

from masa.models import Rule

from ..helpers import editor
from .test_admin_rules import _edit_data, _rule_form

pytestmark = pytest.mark.django_db
CHANNELS = "d__steps__2__send__channels"


@pytest.fixture
def preferred(refill_rule, email_channel):
    refill_rule.definition["steps"][2]["send"] = {"template": "refill-absorbent", "channel": "preferred",
                                                  "channels": ["whatsapp", "sms", "email"]}
    refill_rule.save()
    return refill_rule


def edit_url(rule):
    return reverse("wagtailsnippets_masa_rule:edit", args=[rule.pk])


def posted(rule, **changes) -> dict:
    return {**_edit_data(_rule_form(rule)), "raw_definition": "", "action-publish": "1", **changes}


def test_the_preferred_channel_and_its_list_are_fields_in_words(client, preferred):
    client.force_login(editor())
    page = client.get(edit_url(preferred)).content.decode()
    assert '<option value="preferred" selected>On the channel the customer answers best</option>' in page
    assert f'name="{CHANNELS}" value="whatsapp, sms, email"' in page
    assert ("on the channel the customer answers best: <em><bdi>WhatsApp</bdi></em>, else <em><bdi>SMS</bdi></em>, "
            "else <em><bdi>email</bdi></em>") in page  # Latin names keep their own direction (in a Hebrew sentence too)


def test_reordering_the_channels_is_kept_as_a_list(client, preferred):
    client.force_login(editor())
    client.post(edit_url(preferred), posted(preferred, **{CHANNELS: "sms, email"}))
    assert Rule.objects.get(pk=preferred.pk).definition["steps"][2]["send"]["channels"] == ["sms", "email"]


def test_an_unknown_channel_kind_is_refused_in_words_and_nothing_changes(client, preferred):
    client.force_login(editor())
    page = client.post(edit_url(preferred), posted(preferred, **{CHANNELS: "whatsapp, pigeon"})).content.decode()
    assert "unknown channel kind" in page and "pigeon" in page
    assert Rule.objects.get(pk=preferred.pk).definition["steps"][2]["send"]["channels"] == ["whatsapp", "sms", "email"]
