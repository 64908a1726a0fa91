"""Rows with names (issue 29): the hand-written INSERTs (intake, the event store, firings,
scheduled actions) take their column lists from the models, so a column added to a model with a
default is written without touching them, and one without a default is refused before any row."""
import re
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from masa.actions import schedule
from masa.eventstore import store_events
from masa.events import Identity, NormalizedEvent
from masa.models import Customer, InboundDelivery, Rule, RuleFiring, ScheduledAction, StoreEvent
from masa.rules import store
from masa.signals import inbox
from masa.sql import insert_shape

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
WRITTEN = (InboundDelivery, StoreEvent, RuleFiring, ScheduledAction)


def write_one_of_each(n: int = 1) -> None:
    """One row through each hand-written INSERT."""
    inbox.store(event_type="order_created", domain="shop.example", dedupe_key=f"key-{n}", headers={"a": "b"},
                body="{}", remote_addr="127.0.0.1")
    [event] = store_events("masa", [NormalizedEvent("order_placed", f"o{n}", T0, Identity(email=f"c{n}@example.com"),
                                                    {"order_id": f"o{n}"})])
    rule = Rule.objects.create(rule_id=f"r{n}", title="R", definition={"trigger": {"event": "order_placed"}, "steps": []})
    firing = RuleFiring(rule=rule, rule_version=1, event=event, customer=event.customer, scope_key="s", fired_at=T0,
                        facts_set={})
    store.insert_firings([firing])
    schedule.write([ScheduledAction(idempotency_key=f"k{n}", firing=firing, rule=rule, customer=event.customer,
                                    event=event, step=0, kind="send", params={"template": "t"}, due_at=T0)])


def columns(model) -> list[str]:
    return sorted(field.column for field in model._meta.concrete_fields if not field.primary_key)


def test_every_hand_written_insert_names_every_column_of_its_model():
    with CaptureQueriesContext(connection) as written:
        write_one_of_each()
    inserted = {}
    for query in written.captured_queries:
        found = re.match(r'INSERT INTO "?(\w+)"? \(([^)]*)\) (VALUES|SELECT)', query["sql"])
        if found:
            inserted[found[1]] = sorted(column.strip().strip('"') for column in found[2].split(","))
    assert {model._meta.db_table: columns(model) for model in WRITTEN} == \
        {model._meta.db_table: inserted[model._meta.db_table] for model in WRITTEN}


@contextmanager
def added_column(model, field):
    """A non-null column with a default added to the model and its table (rolled back with the test)."""
    model.add_to_class("issue29_added", field)
    try:
        with connection.schema_editor() as editor:
            editor.add_field(model, field)
        yield
        with connection.cursor() as cursor:  # the rows' foreign keys checked now: the table may change
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            editor.remove_field(model, field)
    finally:
        model._meta.local_fields.remove(field)
        model._meta._expire_cache()
        delattr(model, "issue29_added")


def test_a_new_not_null_column_with_a_default_does_not_break_the_hand_written_inserts():
    with ExitStack() as stack:
        for model in WRITTEN:
            stack.enter_context(added_column(model, models.CharField(max_length=8, default="new")))
        write_one_of_each()
        with connection.cursor() as cursor:
            for model in WRITTEN:
                cursor.execute(f"SELECT issue29_added FROM {model._meta.db_table}")
                assert cursor.fetchall() == [("new",)], model.__name__
    write_one_of_each(2)  # the column gone again, the statements are the model's again
    assert ScheduledAction.objects.count() == 2 and Customer.objects.count() == 2


def test_a_not_null_column_without_a_default_is_refused_before_the_database():
    with pytest.raises(ValueError, match="masa_scheduledaction.customer_id is not null and has no default"):
        insert_shape(ScheduledAction, ("idempotency_key", "event_id", "step", "due_at"))
    with pytest.raises(ValueError, match="has no column nonsense"):
        insert_shape(StoreEvent, ("nonsense",))


def test_pending_actions_are_rows_with_names(refill_rule):
    write_one_of_each()
    [row] = store.pending_actions({Customer.objects.get().pk})
    action = ScheduledAction.objects.get()
    assert (row.pk, row.customer_id, row.kind, row.event_id, row.rule_id, row.due_at, row.occurred_at) == \
        (action.pk, action.customer_id, "send", action.event_id, action.rule_id, T0, T0)
    assert row.guard == [] and row.awaited is None and row.message_class is None
