"""*Choose the winner* of an A/B split asks first: a confirmation page says what happens (everyone
still to come takes that branch) and, below the minimum sample, that the test has too few customers
to tell; only the confirmed POST chooses; a viewer still cannot."""
import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.models import MessageTemplate, Rule, ScheduledAction

from ..helpers import editor, place_order, viewer

pytestmark = pytest.mark.django_db

SPLIT = {"trigger": {"event": "order_placed"}, "steps": [
    {"wait": "2d"},
    {"split": {"a": {"share": 50, "steps": [{"send": {"template": "short"}}]},
               "b": {"share": 50, "steps": [{"wait": "1d"}, {"send": {"template": "long", "channel": "email"}}]}}}]}
CHOOSE_A = {"split": "steps[1].split", "winner": "a"}


@pytest.fixture
def split_rule(db):
    for key in ("short", "long"):
        MessageTemplate.objects.create(key=key, subject=key.capitalize(), body=f"{key} text")
    return Rule.objects.create(rule_id="ab", title="Offer test", definition=SPLIT)


def url():
    return reverse("masa_rule_journey", args=["ab"])


def test_the_first_post_asks_and_chooses_nothing(client, split_rule):
    client.force_login(editor())
    response = client.post(url(), CHOOSE_A)
    assert response.status_code == 200
    page = response.content.decode()
    assert Rule.objects.get(pk=split_rule.pk).split_winners == {}
    assert not ModelLogEntry.objects.filter(action="masa.split.winner").exists()
    assert "everyone still to come in “<bdi>Offer test</bdi>” takes version <bdi>A</bdi>" in page
    assert 'name="confirm" value="yes"' in page and "Yes, choose version <bdi>A</bdi> as the winner" in page
    assert "steps[1].split" not in page.replace('value="steps[1].split"', ""), "the split in words, not its place"
    assert "confirm(" not in page, "a page, not a JavaScript confirm()"


def test_below_the_minimum_sample_it_warns_too_few_customers(client, split_rule):
    client.force_login(editor())
    page = client.post(url(), CHOOSE_A).content.decode()
    assert "Too few customers to tell yet." in page
    assert "reached 0 customers so far" in page
    assert "More customers needed" in page and "Choosing now is a guess" in page


def test_at_the_minimum_sample_there_is_no_warning(client, split_rule, monkeypatch):
    monkeypatch.setattr("masa.reports.incremental.customers_needed", lambda baseline: 0)
    client.force_login(editor())
    page = client.post(url(), CHOOSE_A).content.decode()
    assert "Yes, choose version <bdi>A</bdi> as the winner" in page
    assert "Too few customers" not in page


def test_the_confirmed_post_chooses_and_is_logged(client, signing_store, split_rule, email_channel):
    for number in range(6):
        place_order(client, signing_store, email=f"c{number}@example.com", user_id=f"VXNlcjo{number}",
                    order_id=f"T3JkZXI6{number}")
    client.force_login(editor())
    client.post(url(), CHOOSE_A)
    assert Rule.objects.get(pk=split_rule.pk).split_winners == {}
    response = client.post(url(), {**CHOOSE_A, "confirm": "yes"})
    assert response.status_code == 302
    rule = Rule.objects.get(pk=split_rule.pk)
    assert rule.split_winners == {"steps[1].split": "a"}
    assert not ScheduledAction.objects.filter(rule=rule, path="steps[1].split.b[1]", status="pending").exists()
    assert ModelLogEntry.objects.get(action="masa.split.winner").data["winner"] == "a"
    assert "Version <bdi>A</bdi> won: everyone now takes it." in client.get(reverse("masa_results")).content.decode()
    again = client.post(url(), {**CHOOSE_A, "winner": "b"}, follow=True).content.decode()
    assert "already won" in again and Rule.objects.get(pk=split_rule.pk).split_winners == {"steps[1].split": "a"}


def test_an_unknown_branch_is_refused(client, split_rule):
    client.force_login(editor())
    page = client.post(url(), {**CHOOSE_A, "winner": "z"}, follow=True).content.decode()
    assert "no split at steps[1].split with a branch z" in page
    assert Rule.objects.get(pk=split_rule.pk).split_winners == {}


@pytest.mark.parametrize("data", [CHOOSE_A, {**CHOOSE_A, "confirm": "yes"}])
def test_a_viewer_still_cannot_choose(client, split_rule, data):
    client.force_login(viewer())
    assert client.post(url(), data).status_code in (302, 403)
    assert Rule.objects.get(pk=split_rule.pk).split_winners == {}
