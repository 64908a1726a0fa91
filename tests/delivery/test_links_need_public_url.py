"""Issue 19, item 5: without MASA["PUBLIC_URL"] Masa cannot make its links, so a message that
writes one is refused when its template is saved or its pack imported, and a send whose link
would be empty fails with that reason instead of going out ("Yes: satisfied  No: unhappy")."""
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from masa.checks import first_run
from masa.models import Channel, Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent
from masa.packs import PackError, load_pack
from masa.packs.installer import import_pack
from masa.rendering import check_template

PACK = """
masa_pack: 1
id: links
version: 1.0.0
title: Links
templates:
  survey: {subject: "How was it?", body: "Yes: {{ survey_url }}satisfied  No: {{ survey_url }}unhappy"}
  optional: {body: "Thanks!{% if view_url %} Read it online: {{ view_url }}{% endif %}"}
rules:
  - id: ask
    trigger: {event: order_placed}
    steps: [{send: {template: survey}}, {send: {template: optional}}]
"""


@pytest.mark.django_db
def test_a_pack_whose_template_writes_a_link_is_refused_without_public_url(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": ""}
    pack = load_pack(PACK, "links.yaml")  # a pack is valid anywhere; the shop decides at import
    with pytest.raises(PackError) as refused:
        import_pack(pack)
    assert refused.value.problems == [
        "links.yaml: templates.survey.body: {{ survey_url }} needs MASA['PUBLIC_URL'] (the address customers reach "
        "this site at): without it the link would be empty"]
    assert not MessageTemplate.objects.exists()


@pytest.mark.django_db
def test_the_same_pack_imports_once_public_url_is_set(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": "https://cms.shop.example"}
    import_pack(load_pack(PACK, "links.yaml"))
    assert MessageTemplate.objects.filter(key="survey").exists()


@pytest.mark.django_db
def test_a_template_that_writes_a_link_cannot_be_saved_without_public_url(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": ""}
    with pytest.raises(ValidationError) as refused:
        check_template(MessageTemplate(key="sms", body="We emailed you our guide: {{ last_message.view_url }}"))
    assert "{{ last_message.view_url }} needs MASA['PUBLIC_URL']" in str(refused.value)
    check_template(MessageTemplate(key="ok", body="Thanks!{% if view_url %} {{ view_url }}{% endif %}"))


@pytest.mark.django_db
def test_a_send_whose_link_would_be_empty_fails_with_the_reason(settings, provider):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": ""}
    customer = Customer.objects.create(email="ruth@example.com", marketing_consent=True)
    event = StoreEvent.objects.create(source="django", source_id="o", name="order_placed", customer=customer,
                                      occurred_at=timezone.now(), status="processed")
    Channel.objects.create(name="email", kind="email")
    # Saved while PUBLIC_URL was set; the setting was removed later.
    MessageTemplate.objects.create(key="survey", subject="How was it?", body="Yes: {{ survey_url }}satisfied")
    action = ScheduledAction.objects.create(idempotency_key="ask", customer=customer, event=event, step=0,
                                            params={"template": "survey", "channel": "email", "class": "transactional"},
                                            due_at=timezone.now())
    from masa.actions.due import sweep

    assert sweep() == {"failed": 1}
    action.refresh_from_db()
    assert "{{ survey_url }} needs MASA['PUBLIC_URL']" in action.last_error
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_startup_check_names_the_templates_that_need_public_url(settings):
    settings.MASA = {**settings.MASA, "PUBLIC_URL": ""}
    Channel.objects.create(name="email", kind="email")
    MessageTemplate.objects.create(key="survey", body="Yes: {{ survey_url }}satisfied")
    warning = next(message for message in first_run() if message.id == "masa.W004")
    assert "survey" in warning.msg and "refused" in warning.msg
