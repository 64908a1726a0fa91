"""Turning a rule off asks what to do with the customers already waiting, and "stop them" is the
default: "off" means nothing more goes out, unless the shop owner lets them finish."""
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from wagtail.users.models import UserProfile

from masa.models import Rule, ScheduledAction

from ..helpers import editor, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(client, pending):
    client.force_login(editor())
    return pending


def checked_choice(page: str) -> str:
    """The value of the radio button the form shows selected."""
    [value] = re.findall(r'<input type="radio" name="pending" value="(\w+)"[^>]*\bchecked\b', page)
    return value


def test_the_switch_page_asks_about_the_waiting_customers_with_stop_them_chosen(client, waiting):
    page = client.get(reverse("masa_rule_switch", args=[waiting.rule.pk])).content.decode()
    assert "what happens to the customers already waiting?" in page
    assert 'class="masa-waiting">1<' in page and "customer already waiting" in page
    assert checked_choice(page) == "cancel"
    assert page.index("Stop them") < page.index("Let them finish")


def test_posting_off_with_the_default_choice_cancels_pending_actions_with_a_reason(client, waiting):
    url = reverse("masa_rule_switch", args=[waiting.rule.pk])
    default = checked_choice(client.get(url).content.decode())
    response = client.post(url, {"pending": default}, follow=True)
    waiting.refresh_from_db()
    assert not Rule.objects.get(pk=waiting.rule.pk).enabled
    assert (waiting.status, waiting.cancel_reason) == ("cancelled", "the rule was turned off")
    assert waiting.completed_at is not None
    said = response.content.decode()
    assert "Rule “\u2068Absorbent products refill\u2069” is off." in said  # the title isolated as data
    assert "1 pending action cancelled: the rule was turned off." in said


def test_posting_off_with_no_answer_stops_them_too(client, waiting):
    client.post(reverse("masa_rule_switch", args=[waiting.rule.pk]), {})
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"


def test_letting_them_finish_keeps_pending_actions(client, waiting):
    client.post(reverse("masa_rule_switch", args=[waiting.rule.pk]), {"pending": "keep"})
    waiting.refresh_from_db()
    assert waiting.status == "pending" and not waiting.cancel_reason
    assert not Rule.objects.get(pk=waiting.rule.pk).enabled


def bulk_off_url(rules):
    url = reverse("wagtail_bulk_action", args=["masa", "rule", "masa_turn_off"])
    return url + "?" + "&".join(f"id={rule.pk}" for rule in rules) + "&next=/admin/"


def test_bulk_turn_off_stops_them_by_default_and_lets_them_finish_when_asked(client, waiting):
    other = Rule.objects.create(rule_id="other", title="Other", definition=waiting.rule.definition)
    page = client.get(bulk_off_url([waiting.rule, other])).content.decode()
    assert "what happens to the customers already waiting?" in page
    assert checked_choice(page) == "cancel"
    client.post(bulk_off_url([waiting.rule, other]), {"pending": "keep"})
    waiting.refresh_from_db()
    assert waiting.status == "pending" and not Rule.objects.filter(enabled=True).exists()
    Rule.objects.update(enabled=True)
    client.post(bulk_off_url([waiting.rule, other]), {})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.cancel_reason) == ("cancelled", "the rule was turned off")


def test_the_switch_page_asks_in_hebrew(client, waiting):
    profile = UserProfile.get_for_user(User.objects.get(username="edna"))
    profile.preferred_language = "he"
    profile.save()
    page = client.get(reverse("masa_rule_switch", args=[waiting.rule.pk])).content.decode()
    assert 'dir="rtl"' in page
    assert "מה יקרה ללקוחות שכבר ממתינים?" in page and "לעצור אותם" in page and "לתת להם לסיים" in page
