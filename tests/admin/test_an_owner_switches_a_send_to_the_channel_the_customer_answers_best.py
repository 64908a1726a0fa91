"""An owner switches a send to "On the channel the customer answers best" and back, in the rule
editor (issue 32). The form is a staff member's: the list of channels is trusted only as far as the
compiler accepts it; the server — not the page's script — keeps ``channels`` exactly while the
channel is the preferred one, so a send is never saved with one and not the other."""
import pytest
from django.urls import reverse

from masa.models import Channel, Rule

from ..helpers import denied, editor, viewer
from .test_admin_rules import _edit_data, _rule_form

pytestmark = pytest.mark.django_db
CHANNEL, CHANNELS = "d__steps__2__send__channel", "d__steps__2__send__channels"


@pytest.fixture
def shop_channels(email_channel):
    Channel.objects.create(name="Shop SMS", kind=Channel.Kind.SMS, config={})
    Channel.objects.create(name="Old WhatsApp", kind=Channel.Kind.WHATSAPP, config={}, enabled=False)


def edit_url(rule):
    return reverse("wagtailsnippets_masa_rule:edit", args=[rule.pk])


def posted(rule, **changes) -> dict:
    return {**_edit_data(_rule_form(rule)), "raw_definition": "", "action-publish": "1", **changes}


def send_step(rule) -> dict:
    return Rule.objects.get(pk=rule.pk).definition["steps"][2]["send"]


def test_every_send_offers_the_preferred_channel_after_the_single_ones(client, refill_rule, shop_channels):
    client.force_login(editor())
    page = client.get(edit_url(refill_rule)).content.decode()
    single = page.index('<option value="email" selected>')
    assert page.index('<option value="preferred">On the channel the customer answers best</option>') > single
    # prefilled with the kinds the shop has an enabled channel of (WhatsApp's is disabled), email last
    assert f'name="{CHANNELS}" value="sms, email"' in page


def test_switching_to_the_preferred_channel_saves_it_with_the_shops_channels(client, refill_rule, shop_channels):
    client.force_login(editor())
    client.post(edit_url(refill_rule), posted(refill_rule, **{CHANNEL: "preferred"}))
    assert send_step(refill_rule) == {"channel": "preferred", "channels": ["sms", "email"],
                                      "template": "refill-absorbent"}


def test_switching_back_to_a_single_channel_drops_the_list_whatever_was_posted(client, refill_rule, shop_channels):
    refill_rule.definition["steps"][2]["send"] = {"template": "refill-absorbent", "channel": "preferred",
                                                  "channels": ["whatsapp", "sms", "email"]}
    refill_rule.save()
    client.force_login(editor())
    client.post(edit_url(refill_rule), posted(refill_rule, **{CHANNEL: "sms", CHANNELS: "whatsapp, pigeon"}))
    assert send_step(refill_rule) == {"channel": "sms", "template": "refill-absorbent"}


def test_the_preferred_channel_posted_with_no_list_gets_the_default_one(client, refill_rule, email_channel):
    client.force_login(editor())
    client.post(edit_url(refill_rule), posted(refill_rule, **{CHANNEL: "preferred", CHANNELS: ""}))
    assert send_step(refill_rule)["channels"] == ["email"]  # a shop with only e-mail: email at least


def test_a_preferred_send_without_channels_in_the_yaml_is_refused_in_words(client, refill_rule, email_channel):
    client.force_login(editor())
    yaml = ("trigger: {event: order_placed}\nsteps:\n- send: {template: refill-absorbent, channel: preferred}\n")
    page = client.post(edit_url(refill_rule), posted(refill_rule, raw_definition=yaml)).content.decode()
    assert "channel: preferred needs channels" in page and "Traceback" not in page
    assert send_step(refill_rule) == {"channel": "email", "template": "refill-absorbent"}


def test_a_viewer_cannot_switch_a_send(client, refill_rule, email_channel):
    client.force_login(viewer())
    assert denied(client.post(edit_url(refill_rule), posted(refill_rule, **{CHANNEL: "preferred"})))
    assert send_step(refill_rule) == {"channel": "email", "template": "refill-absorbent"}
