"""Evaluation that cannot finish marks the event failed with the error; nothing half-written."""
from datetime import datetime, timezone

import pytest
from django.test import TestCase

from masa import signals
from masa.models import Rule, ScheduledAction, StoreEvent
from masa.rules import engine, evaluate
from masa.tasks import sweep_outbox

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def place_order(order_id=1):
    with TestCase.captureOnCommitCallbacks(execute=True):
        signals.order_placed.send(sender=None, order_id=order_id, email="a@example.com", occurred_at=NOW,
                                  lines=[{"product_id": "p", "quantity": 1, "total": 5.0, "category": "absorbent"}])


def test_an_engine_error_marks_the_event_failed_and_rolls_back_its_writes(refill_rule, monkeypatch):
    def broken_run(self, facts, on_fire):
        raise engine.EngineError("durable-rules blew up")

    monkeypatch.setattr(engine.RuleSet, "run", broken_run)
    place_order()

    event = StoreEvent.objects.get(name="order_placed")
    assert event.status == "failed" and event.error == "durable-rules blew up"
    assert event.customer.orders_count == 0
    assert ScheduledAction.objects.count() == 0


def test_evaluating_the_same_event_again_changes_nothing(refill_rule):
    place_order()
    event = StoreEvent.objects.get(name="order_placed")
    assert evaluate.evaluate_event(event.pk) == "processed"
    event.customer.refresh_from_db()
    assert event.customer.orders_count == 1 and ScheduledAction.objects.count() == 1


def test_a_broken_rule_in_the_database_is_skipped_and_others_still_run(refill_rule):
    Rule.objects.create(rule_id="broken", title="Broken", definition={"trigger": {"event": "nope"}, "steps": []})
    place_order()
    assert ScheduledAction.objects.get().rule == refill_rule


def test_events_stranded_by_a_dead_broker_are_evaluated_by_the_outbox_sweep(refill_rule, monkeypatch, settings):
    from masa import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.evaluate_events, "delay", broker_down)
    settings.MASA = {**settings.MASA, "OUTBOX_GRACE": 0}
    place_order()
    assert StoreEvent.objects.filter(status="received").count() == 3

    assert sweep_outbox() == 3
    assert StoreEvent.objects.filter(status="processed").count() == 3
    assert ScheduledAction.objects.count() == 1


def test_an_event_failing_inside_a_delivery_is_rolled_back_alone_and_the_others_are_evaluated(refill_rule, monkeypatch):
    real_run = engine.RuleSet.run

    def run_failing_on_category(self, facts, on_fire):
        facts = list(facts)
        if any(f.get("type") == "category_bought" for f in facts):
            raise engine.EngineError("category rule exploded")
        return real_run(self, facts, on_fire)

    monkeypatch.setattr(engine.RuleSet, "run", run_failing_on_category)
    place_order()

    statuses = dict(StoreEvent.objects.values_list("name", "status"))
    assert statuses == {"order_placed": "processed", "category_bought": "failed", "product_bought": "processed"}
    assert StoreEvent.objects.get(name="category_bought").error == "category rule exploded"
    customer = StoreEvent.objects.get(name="order_placed").customer
    assert customer.orders_count == 1 and customer.category_counts == {}
    assert ScheduledAction.objects.count() == 1


def test_the_events_of_one_delivery_reach_the_worker_as_one_task_in_order(refill_rule, monkeypatch):
    from masa import tasks

    sent = []
    monkeypatch.setattr(tasks.evaluate_events, "delay", sent.append)
    place_order()
    stored = list(StoreEvent.objects.order_by("pk").values_list("pk", "name"))
    assert sent == [[pk for pk, _ in stored]]
    assert [name for _, name in stored] == ["order_placed", "category_bought", "product_bought"]
