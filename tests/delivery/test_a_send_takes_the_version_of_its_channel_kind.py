"""Issue 32: a message may hold a version per channel kind (its SMS or WhatsApp text beside the
email's). A send takes its channel kind's version, by locale, language, default; a kind without a
version takes the main text (the rows of no kind, else of the kind first saved). A WhatsApp
version's approved template goes as its name, language and each variable rendered as plain text;
a variable that comes out empty fails the send in words, nothing stored."""
import pytest
from django.utils import timezone

from masa.delivery.prepare import prepare_delivery
from masa.delivery.route import Route
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent
from masa.rendering import TemplateError, TemplateMissing, find_template

pytestmark = pytest.mark.django_db


def _message():
    MessageTemplate.objects.create(key="win-back", channel_kind="email", subject="We miss you", body="email default")
    MessageTemplate.objects.create(key="win-back", channel_kind="email", locale="he", subject="מתגעגעים",
                                   body="email he")
    MessageTemplate.objects.create(key="win-back", channel_kind="sms", body="sms default")
    MessageTemplate.objects.create(key="win-back", channel_kind="sms", locale="he", body="sms he")
    MessageTemplate.objects.create(key="win-back", channel_kind="whatsapp", locale="en-gb", body="whatsapp en-gb")


def test_each_kind_takes_its_version_by_locale_then_language_then_default():
    _message()
    assert find_template("win-back", "he-il", "sms").body == "sms he"
    assert find_template("win-back", "fr", "sms").body == "sms default"
    assert find_template("win-back", "he", "email").body == "email he"
    assert find_template("win-back", "en-gb", "whatsapp").body == "whatsapp en-gb"


def test_a_kind_without_a_version_or_without_the_language_takes_the_main_text():
    _message()
    assert find_template("win-back", "he", "webhook").body == "email he"
    assert find_template("win-back", "he", "whatsapp").body == "email he"   # its WhatsApp text is English only
    assert find_template("win-back", "he").body == "email he"


def test_the_rows_for_any_channel_are_the_main_text_whatever_was_saved_first():
    MessageTemplate.objects.create(key="note", channel_kind="sms", body="sms")
    MessageTemplate.objects.create(key="note", body="any channel")
    assert find_template("note", "", "webhook").body == "any channel"
    assert find_template("note", "", "sms").body == "sms"


def test_a_message_with_only_versions_per_kind_falls_back_to_the_kind_first_saved():
    MessageTemplate.objects.create(key="ping", channel_kind="whatsapp", body="whatsapp")
    MessageTemplate.objects.create(key="ping", channel_kind="sms", body="sms")
    assert find_template("ping", "", "sms").body == "sms"
    assert find_template("ping", "", "email").body == "whatsapp"
    with pytest.raises(TemplateMissing):
        find_template("pong", "", "sms")


def _action(customer, key="win-back"):
    event = StoreEvent.objects.create(source="django", source_id=f"o-{customer.pk}", name="order_placed",
                                      customer=customer, occurred_at=timezone.now(), status="processed")
    return ScheduledAction.objects.create(idempotency_key=f"{key}:{customer.pk}", customer=customer, event=event,
                                          step=0, kind="send", due_at=timezone.now(),
                                          params={"template": key, "channel": "preferred", "class": "marketing"})


def test_prepare_renders_the_sms_version_for_an_sms_route_and_the_email_for_email(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    _message()
    sms = Route(Channel.objects.create(name="texts", kind="sms"))
    email = Route(Channel.objects.create(name="mail", kind="email"))
    dana = Customer.objects.create(email="dana@example.com", phone="+972501234567", locale="he")
    ruth = Customer.objects.create(email="ruth@example.com", phone="+972501234568")
    assert prepare_delivery(_action(dana), sms, timezone.now()).body == "sms he"
    delivery = prepare_delivery(_action(ruth), email, timezone.now())
    assert (delivery.subject, delivery.body, delivery.provider_template) == ("We miss you", "email default", {})


def _whatsapp_message(variables, language="", locale=""):
    MessageTemplate.objects.create(key="offer", channel_kind="email", subject="Offer", body="email")
    MessageTemplate.objects.create(key="offer", channel_kind="whatsapp", locale=locale,
                                   body="Hi {{ customer.first_name }}, 10% off",
                                   provider_template={"name": "win_back_offer", "language": language,
                                                      "variables": variables})


def test_a_whatsapp_version_sends_its_approved_template_with_variables_as_plain_text(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    _whatsapp_message(["{{ customer.first_name }}", "{{ order.number }}\n  and\tmore"], locale="en")
    route = Route(Channel.objects.create(name="wa", kind="whatsapp"))
    customer = Customer.objects.create(email="o@example.com", phone="+972501234567", first_name="O'Brien <b>&</b>",
                                       locale="en-us")
    action = _action(customer, "offer")
    action.event.data = {"number": "1001"}
    action.event.save()
    delivery = prepare_delivery(action, route, timezone.now())
    assert delivery.provider_template == {"name": "win_back_offer", "language": "en_US",
                                          "parameters": ["O'Brien <b>&</b>", "1001 and more"]}
    assert delivery.body == "Hi O'Brien <b>&</b>, 10% off"   # what the timeline shows as sent


def test_the_version_language_maps_to_whatsapp_s_and_the_template_s_own_wins(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    _whatsapp_message(["{{ customer.email }}"], locale="he")
    route = Route(Channel.objects.create(name="wa", kind="whatsapp"))
    customer = Customer.objects.create(email="he@example.com", phone="+972501234567", locale="he")
    assert prepare_delivery(_action(customer, "offer"), route, timezone.now()).provider_template["language"] == "he"
    MessageTemplate.objects.filter(key="offer", channel_kind="whatsapp").update(
        provider_template={"name": "win_back_offer", "language": "en_GB", "variables": []})
    other = Customer.objects.create(email="gb@example.com", phone="+972501234568", locale="he")
    assert prepare_delivery(_action(other, "offer"), route, timezone.now()).provider_template == {
        "name": "win_back_offer", "language": "en_GB", "parameters": []}


def test_an_empty_variable_fails_the_send_in_words_and_nothing_is_stored(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    _whatsapp_message(["{{ customer.last_name }}"], language="en_US")
    route = Route(Channel.objects.create(name="wa", kind="whatsapp"))
    customer = Customer.objects.create(email="x@example.com", phone="+972501234567")
    with pytest.raises(TemplateError, match=r"variable \{\{1\}\} \(\{\{ customer.last_name \}\}\) is empty"):
        prepare_delivery(_action(customer, "offer"), route, timezone.now())
    assert not Delivery.objects.exists()


def test_a_template_without_a_language_it_can_tell_fails_in_words(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    _whatsapp_message(["{{ customer.email }}"])
    route = Route(Channel.objects.create(name="wa", kind="whatsapp"))
    customer = Customer.objects.create(email="x@example.com", phone="+972501234567")
    with pytest.raises(TemplateError, match="has no language"):
        prepare_delivery(_action(customer, "offer"), route, timezone.now())
    assert not Delivery.objects.exists()


def test_an_approved_template_goes_only_over_whatsapp(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://shop.example"}
    MessageTemplate.objects.create(key="offer", channel_kind="whatsapp", body="Hi",
                                   provider_template={"name": "win_back_offer", "language": "en_US", "variables": []})
    route = Route(Channel.objects.create(name="texts", kind="sms"))
    customer = Customer.objects.create(email="x@example.com", phone="+972501234567")
    delivery = prepare_delivery(_action(customer, "offer"), route, timezone.now())
    assert (delivery.body, delivery.provider_template) == ("Hi", {})
