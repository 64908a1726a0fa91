"""The evaluation's SQL on PostgreSQL (issue 34): an INSERT has one text whatever its number of
rows (``unnest`` of arrays), a transaction's customers are written in one UPDATE that leaves each
customer's other fields as the database has them, its events marked in one statement, and the
rules fingerprinted by one read that sees every change of a rule or pack, even in the same
transaction."""
from datetime import datetime, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masa.events import Identity, NormalizedEvent
from masa.eventstore import store_events
from masa.models import Customer, OrderChange, Rule, RuleFiring, RulePack, StoreEvent
from masa.rules import store
from masa.sql import insert_shape

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def events(count: int, prefix: str = "o") -> list[StoreEvent]:
    return store_events("masa", [NormalizedEvent("order_placed", f"{prefix}{n}", T0, Identity(email=f"c{n}@example.com"),
                                                 {"order_id": f"{prefix}{n}"}) for n in range(count)])


def test_an_insert_has_one_text_whatever_its_number_of_rows():
    shape = insert_shape(RuleFiring, ("rule_id", "rule_version", "event_id", "customer_id", "fired_at", "scope_key",
                                      "facts_set"))
    assert shape.sql(1) == shape.sql(40) and "unnest(" in shape.sql(1)
    with CaptureQueriesContext(connection) as one:
        events(1, "a")
    with CaptureQueriesContext(connection) as many:
        events(7, "b")
    inserts = [[q["sql"].split(" SELECT ")[0] for q in run.captured_queries if q["sql"].startswith("INSERT INTO masa_storeevent")]
               for run in (one, many)]
    assert inserts[0] and inserts[0] == inserts[1]
    assert StoreEvent.objects.count() == 8


def test_text_in_an_insert_arrives_as_it_was_whatever_its_quotes_and_backslashes():
    odd = ['a"b', "c\\d", "e'f", "{x,y}", "NULL", "", "שלום", '{"k": "v\\"q"}', "\\\\'\""]
    stored = store_events("masa", [NormalizedEvent("order_placed", f"odd-{n}-{text}", T0, Identity(email="o@example.com"),
                                                   {"order_id": text, "note": [text, None]}) for n, text in enumerate(odd)])
    assert [event.source_id for event in stored] == [f"odd-{n}-{text}" for n, text in enumerate(odd)]
    assert [(row["order_id"], row["note"]) for row in StoreEvent.objects.order_by("pk").values_list("data", flat=True)] == \
        [(text, [text, None]) for text in odd]


def test_order_changes_keep_sql_null_apart_from_json_null():
    [event] = events(1)
    rule = Rule.objects.create(rule_id="r", title="R", definition={"trigger": {"event": "order_placed"}, "steps": []})
    store.insert_order_changes([
        OrderChange(customer=event.customer, order_id="o0", rule=rule, event=event, fact="tier", before=None,
                    after="gold", changed_at=T0),
        OrderChange(customer=event.customer, order_id="o0", rule=rule, event=event, fact="score", before=[1, {"a": None}],
                    after=0, changed_at=T0)])
    assert list(OrderChange.objects.order_by("pk").values_list("fact", "before", "after")) == \
        [("tier", None, "gold"), ("score", [1, {"a": None}], 0)]
    assert OrderChange.objects.filter(before__isnull=True).count() == 1


def test_customers_are_written_in_one_update_that_keeps_what_each_did_not_change():
    first, second = (event.customer for event in events(2))
    first.orders_count, first.facts = 3, {"tier": "gold"}
    second.first_name = "Ruth"
    Customer.objects.filter(pk=first.pk).update(first_name="Written meanwhile")  # not a field ``first`` changed
    Customer.objects.filter(pk=second.pk).update(orders_count=9)                 # not a field ``second`` changed
    with CaptureQueriesContext(connection) as written:
        store.update_customers([(first, {"orders_count", "facts"}), (second, {"first_name"})])
    assert len(written.captured_queries) == 1
    assert Customer.objects.values_list("first_name", "orders_count", "facts").get(pk=first.pk) == \
        ("Written meanwhile", 3, {"tier": "gold"})
    assert Customer.objects.values_list("first_name", "orders_count").get(pk=second.pk) == ("Ruth", 9)


def test_events_with_different_outcomes_are_marked_in_one_statement():
    done, failed = events(2)
    with CaptureQueriesContext(connection) as marked:
        store.mark_evaluated({done.pk: ("processed", ""), failed.pk: ("failed", "boom")}, T0)
    assert len(marked.captured_queries) == 1
    assert sorted(StoreEvent.objects.values_list("status", "error", "attempts", "processed_at")) == \
        [("failed", "boom", 1, T0), ("processed", "", 1, T0)]


def test_the_rules_fingerprint_is_one_read_that_sees_every_change_in_the_same_transaction():
    pack = RulePack.objects.create(pack_id="p", version="1", title="P", parameter_values={"days": 30})
    rule = Rule.objects.create(rule_id="r", title="R", pack="p",
                               definition={"trigger": {"event": "order_placed"}, "steps": []})
    with CaptureQueriesContext(connection) as read:
        before = store.rules_fingerprint()
    assert len(read.captured_queries) == 1 and store.rules_fingerprint() == before
    RulePack.objects.filter(pk=pack.pk).update(parameter_values={"days": 31})
    after_pack = store.rules_fingerprint()
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    after_toggle = store.rules_fingerprint()
    Rule.objects.filter(pk=rule.pk).update(enabled=True)
    assert len({before, after_pack, after_toggle, store.rules_fingerprint()}) == 4


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_commits_without_waiting_for_the_disk_and_nothing_else_does(refill_rule, settings):
    """Only the evaluation's transaction sets synchronous_commit off (its writes are derived from
    durably stored events); the session keeps the server's setting for sends and intake."""
    from masa import signals
    from masa.rules.evaluate import evaluate_events

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    settings.MASA = {**settings.MASA, "WORKER": "embedded"}  # stored, left for the worker
    signals.order_placed.send(sender=None, order_id=990, customer_id="c990", email="c990@example.com",
                              lines=[{"product_id": "p", "quantity": 1, "total": 5.0, "category": "absorbent"}])
    with CaptureQueriesContext(connection) as statements:
        evaluate_events(list(StoreEvent.objects.values_list("pk", flat=True)))
    assert "SET LOCAL synchronous_commit TO OFF" in [q["sql"] for q in statements.captured_queries]
    assert set(StoreEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert synchronous_commit() == "on"
