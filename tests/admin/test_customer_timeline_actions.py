"""Quick actions on the customer page (issue 30, item 6; seed 003): add a tag, write a personal
message through a channel that reaches the customer (through Masa's delivery, with its consent
rule: marketing unless staff say it is a service message), stop marketing (the customer's consent
withdrawn, audit logged), notes with a reminder that reaches the staff member on their dashboard
— all for editors only; a viewer sees no form and is refused."""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from masa.admin.permissions import EDITORS
from masa.models import Channel, Customer, CustomerNote, Delivery, ScheduledAction, StoreEvent

from ..helpers import denied, editor, member_of, place_order, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ruth(client, signing_store, refill_rule, email_channel):
    place_order(client, signing_store)
    return Customer.objects.get(email="ruth@example.com")


def url_of(customer):
    return reverse("masa_customer", args=[customer.pk])


def test_an_editor_adds_a_tag_it_is_kept_logged_and_on_the_timeline(client, ruth):
    user = editor()
    client.force_login(user)
    page = client.post(url_of(ruth), {"do": "tag", "tag": "prefers-phone"}, follow=True).content.decode()
    ruth.refresh_from_db()
    assert ruth.tags == ["prefers-phone"]
    assert ModelLogEntry.objects.get(action="masa.customer.tag").data == {"tag": "prefers-phone"}
    assert "edna</bdi> added the tag “<bdi>prefers-phone</bdi>”" in page
    assert '<span class="masa-tag"><bdi>prefers-phone</bdi></span>' in page


def test_a_personal_message_without_consent_goes_only_as_a_service_message(client, ruth, email_channel):
    Customer.objects.filter(pk=ruth.pk).update(marketing_consent=False)
    client.force_login(editor())
    form = {"do": "message", "channel": email_channel.pk, "subject": "Your walker", "text": "It ships Sunday."}
    page = client.post(url_of(ruth), form, follow=True).content.decode()
    assert "Not sent: the customer has not agreed to marketing" in page
    assert not Delivery.objects.exists() and not mail.outbox
    assert not StoreEvent.objects.filter(name="staff_message").exists()

    page = client.post(url_of(ruth), {**form, "service": "on"}, follow=True).content.decode()
    assert "Your message was sent." in page
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.to, delivery.subject, delivery.body) == (
        "sent", "ruth@example.com", "Your walker", "It ships Sunday.")
    assert delivery.action.params["class"] == "transactional" and delivery.action.status == "done"
    assert [message.to for message in mail.outbox] == [["ruth@example.com"]]
    assert StoreEvent.objects.filter(name="message_sent", data__delivery=delivery.idempotency_key).exists()
    assert "Sent “<bdi>Your walker</bdi>” by email" in page and "It ships Sunday." in page
    logged = ModelLogEntry.objects.filter(action="masa.customer.message").order_by("timestamp")
    assert [entry.data["status"] for entry in logged] == ["cancelled", "done"]


def test_a_personal_message_with_consent_is_marketing_and_has_the_unsubscribe_header(client, ruth, email_channel,
                                                                                     settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    assert ruth.marketing_consent
    client.force_login(editor())
    client.post(url_of(ruth), {"do": "message", "channel": email_channel.pk, "subject": "New walkers",
                               "text": "We have new walkers."})
    delivery = Delivery.objects.get()
    assert delivery.action.params["class"] == "marketing" and delivery.status == "sent"
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers


def test_only_channels_that_reach_the_customer_are_offered(client, ruth, email_channel):
    sms = Channel.objects.create(name="Shop SMS", kind="sms", config={"backend": "console"})
    client.force_login(editor())
    page = client.get(url_of(ruth)).content.decode()
    offered = re.search(r'<select name="channel".*?</select>', page, re.S).group(0)  # not another list's ids
    assert f'<option value="{email_channel.pk}"' in offered and f'<option value="{sms.pk}"' not in offered
    response = client.post(url_of(ruth), {"do": "message", "channel": sms.pk, "text": "Hi", "service": "on"})
    assert response.status_code == 200 and not Delivery.objects.exists()  # refused by the form: no phone


def test_stop_marketing_withdraws_the_customers_consent_and_is_logged(client, ruth):
    user = editor()
    client.force_login(user)
    page = client.post(url_of(ruth), {"do": "unsubscribe"}, follow=True).content.decode()
    ruth.refresh_from_db()
    assert not ruth.marketing_consent and ruth.marketing_consent_source == "asked staff (edna)"
    assert ModelLogEntry.objects.get(action="masa.customer.unsubscribe").user == user
    assert "recorded that the customer wants no more marketing" in page
    assert "Only service messages about their orders go to this customer." in page


def test_a_note_with_a_reminder_shows_on_that_staff_members_dashboard_until_done(client, ruth):
    author, dana = editor(), member_of(EDITORS, "dana")
    client.force_login(author)
    soon = timezone.localtime() + timedelta(hours=1)
    client.post(url_of(ruth), {"do": "note", "text": "Call her about the walker", "remind": dana.pk,
                               "remind_at": soon.strftime("%Y-%m-%dT%H:%M")})
    note = CustomerNote.objects.get()
    assert note.remind == dana and note.author == author
    client.force_login(dana)
    assert "Your reminders" not in client.get(reverse("wagtailadmin_home")).content.decode()  # not yet
    CustomerNote.objects.update(remind_at=timezone.now() - timedelta(minutes=1))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Your reminders" in home and "Call her about the walker" in home
    client.force_login(author)
    assert "Your reminders" not in client.get(reverse("wagtailadmin_home")).content.decode()  # dana's only
    client.force_login(dana)
    response = client.post(url_of(ruth), {"do": "reminder_done", "note": note.pk,
                                          "next": reverse("wagtailadmin_home")})
    assert response.url == reverse("wagtailadmin_home")
    assert "Your reminders" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_reminder_needs_both_who_and_when(client, ruth):
    client.force_login(editor())
    response = client.post(url_of(ruth), {"do": "note", "text": "x", "remind": editor_pk(), "remind_at": ""})
    assert response.status_code == 200 and "Say when to remind them." in response.content.decode()
    assert not CustomerNote.objects.exists()


def editor_pk():
    from django.contrib.auth.models import User

    return User.objects.get(username="edna").pk


def test_a_viewer_sees_no_forms_and_is_refused(client, ruth, email_channel):
    client.force_login(viewer())
    page = client.get(url_of(ruth)).content.decode()
    for form in ('value="tag"', 'value="message"', 'value="unsubscribe"', 'value="trigger"', 'value="note"',
                 'value="erase"', "masa-cancel"):
        assert form not in page, form
    for post in ({"do": "tag", "tag": "x"}, {"do": "unsubscribe"}, {"do": "unsubscribe", "channel": "whatsapp"},
                 {"do": "unsubscribe", "channel": "sms"}, {"do": "note", "text": "x"},
                 {"do": "message", "channel": email_channel.pk, "text": "x", "service": "on"}):
        assert denied(client.post(url_of(ruth), post)), post
    ruth.refresh_from_db()
    assert ruth.tags == [] and ruth.marketing_consent and not Delivery.objects.exists()
    assert ScheduledAction.objects.filter(kind="send", path="personal").count() == 0


def test_the_customers_list_isolates_names_and_emails(client, ruth):
    client.force_login(viewer())
    page = client.get(reverse("masa_customers"), {"q": "ruth"}).content.decode()
    assert '<bdi>Ruth Levi</bdi>' in page and '<span dir="ltr"><bdi>ruth@example.com</bdi></span>' in page
    assert 'data-label="Orders"' in page
