"""A/B split steps: a stable, balanced assignment; only the customer's branch is scheduled; the
branches compared with the same statistics as holdouts; *Choose the winner* moves everyone to
its branch, in the audit log."""
from datetime import timedelta

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from masa.assignment import in_share
from masa.models import MessageTemplate, Rule, ScheduledAction
from masa.rules.compiler import RuleDefinitionError, compile_rule
from masa.rules.sentences import Words, rule_sentence

from ..helpers import NOW, editor, place_order, viewer

SPLIT = {"trigger": {"event": "order_placed"}, "steps": [
    {"wait": "2d"},
    {"split": {"a": {"share": 50, "steps": [{"send": {"template": "short"}}]},
               "b": {"share": 50, "steps": [{"wait": "1d"}, {"send": {"template": "long", "channel": "email"}}]}}}]}


def test_a_split_compiles_each_branch_after_the_waits_before_it():
    plan = compile_rule("ab", SPLIT).plan
    assert [(p.key, p.waits) for p in plan] == [
        ("steps[1].split.a[0]", ({"for": 172800.0},)),
        ("steps[1].split.b[1]", ({"for": 172800.0}, {"for": 86400.0}))]
    assert plan[0].guard == [{"split": {"at": "steps[1].split", "branch": "a", "from": 0, "to": 50}}]
    sentence = rule_sentence(SPLIT, Words({"short": "Short", "long": "Long"}))
    assert "split them at random, for good: a (50 %): email “Short”; b (50 %): wait 1 day; email “Long”" in sentence


@pytest.mark.parametrize("split, problem", [
    ({"a": {"share": 60, "steps": [{"tag": "x"}]}, "b": {"share": 30, "steps": [{"tag": "y"}]}}, "add up to 90"),
    ({"a": {"share": 100, "steps": [{"tag": "x"}]}}, "two to four branches"),
    ({"A": {"share": 50, "steps": [{"tag": "x"}]}, "b": {"share": 50, "steps": [{"tag": "y"}]}}, "lowercase"),
])
def test_a_wrong_split_says_what_is_wrong(split, problem):
    with pytest.raises(RuleDefinitionError, match=problem):
        compile_rule("ab", {"trigger": {"event": "order_placed"}, "steps": [{"split": split}]})


def test_a_split_must_end_its_steps():
    with pytest.raises(RuleDefinitionError, match="ends its steps"):
        compile_rule("ab", {"trigger": {"event": "order_placed"}, "steps": [{"split": SPLIT["steps"][1]["split"]},
                                                                             {"tag": "after"}]})


def test_the_assignment_is_balanced_and_stable():
    a = [in_share("split:ab:steps[1].split", customer, 0, 50) for customer in range(10_000)]
    assert abs(sum(a) - 5000) < 150, "within 3 standard deviations of half"
    assert a == [in_share("split:ab:steps[1].split", customer, 0, 50) for customer in range(10_000)]
    thirds = [sum(in_share("split:x", c, low, high) for c in range(9000)) for low, high in ((0, 20), (20, 50), (50, 100))]
    assert abs(thirds[0] - 1800) < 120 and abs(thirds[1] - 2700) < 130 and abs(thirds[2] - 4500) < 150


@pytest.fixture
def split_rule(db):
    for key in ("short", "long"):
        MessageTemplate.objects.create(key=key, subject=key.capitalize(), body=f"{key} text")
    return Rule.objects.create(rule_id="ab", title="Offer test", definition=SPLIT)


@pytest.mark.django_db
def test_only_the_customers_own_branch_is_scheduled(client, signing_store, split_rule):
    for number in range(12):
        place_order(client, signing_store, email=f"c{number}@example.com", user_id=f"VXNlcjo{number}",
                    order_id=f"T3JkZXI6{number}")
    actions = ScheduledAction.objects.filter(rule=split_rule)
    assert actions.count() == 12, "one action per customer: their branch's"
    for action in actions:
        branch = "a" if in_share("split:ab:steps[1].split", action.customer, 0, 50) else "b"
        assert action.path.startswith(f"steps[1].split.{branch}[")
    assert {a.path for a in actions} == {"steps[1].split.a[0]", "steps[1].split.b[1]"}


@pytest.mark.django_db
def test_choosing_the_winner_moves_everyone_to_its_branch(client, signing_store, split_rule, email_channel):
    for number in range(12):
        place_order(client, signing_store, email=f"c{number}@example.com", user_id=f"VXNlcjo{number}",
                    order_id=f"T3JkZXI6{number}")
    on_b = ScheduledAction.objects.filter(rule=split_rule, path="steps[1].split.b[1]").count()
    assert 0 < on_b < 12
    client.force_login(viewer())
    url = reverse("masa_rule_journey", args=["ab"])
    page = client.get(url).content.decode()
    assert "Version <bdi>A</bdi> — 50 %" in page and "as the winner" not in page
    assert client.post(url, {"split": "steps[1].split", "winner": "a"}).status_code in (302, 403)
    assert Rule.objects.get(pk=split_rule.pk).split_winners == {}, "a viewer chooses nothing"
    client.force_login(editor())
    assert "Choose version <bdi>A</bdi> as the winner" in client.get(url).content.decode()
    client.post(url, {"split": "steps[1].split", "winner": "a", "confirm": "yes"})  # confirmed (tests/admin/test_split_winner_confirm.py)
    rule = Rule.objects.get(pk=split_rule.pk)
    assert rule.split_winners == {"steps[1].split": "a"}
    assert ScheduledAction.objects.filter(rule=rule, path="steps[1].split.b[1]", status="pending").count() == 0
    assert ScheduledAction.objects.filter(rule=rule, path="steps[1].split.b[1]", status="cancelled",
                                          cancel_reason__contains="chose branch a").count() == on_b
    assert ScheduledAction.objects.filter(rule=rule, path="steps[1].split.a[0]", status="pending").count() == 12
    assert ModelLogEntry.objects.get(action="masa.split.winner").data["winner"] == "a"
    place_order(client, signing_store, email="late@example.com", user_id="VXNlcjpsYXRl", order_id="T3JkZXI6bGF0ZQ==")
    late = ScheduledAction.objects.filter(rule=rule, customer__email="late@example.com")
    assert [a.path for a in late] == ["steps[1].split.a[0]"], "a new customer takes the winner's branch"
    assert "Version <bdi>A</bdi> won" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_branches_are_compared_after_their_sends(client, signing_store, split_rule, email_channel):
    from masa.actions.due import sweep
    from masa.reports.incremental import split_results

    for number in range(10):
        place_order(client, signing_store, email=f"c{number}@example.com", user_id=f"VXNlcjo{number}",
                    order_id=f"T3JkZXI6{number}")
    sweep(now=NOW + timedelta(days=4))
    [result] = split_results(split_rule, NOW, NOW + timedelta(days=10))
    assert [name for name, _ in result.branches] == ["a", "b"]
    assert sum(group.customers for _, group in result.branches) == 10
    assert result.comparison.label == "a − b"
    client.force_login(viewer())
    page = client.get(reverse("masa_results"), {"since": NOW.date().isoformat(),
                                                "until": (NOW + timedelta(days=10)).date().isoformat(),
                                                "by": "rule", "window": 7}).content.decode()
    assert "A/B splits" in page and "Offer test" in page
