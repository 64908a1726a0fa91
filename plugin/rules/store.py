"""The evaluation stage's SQL, in one place. Per delivery (or batch of deliveries): the events
and their customers locked and loaded (one fixed text each), the rules fingerprinted by one read,
the customers' pending actions (rows with names: ``PendingRow``) and the ``once`` scopes already
fired asked together (one round trip); at the end all firings in one INSERT (with what each
set), what the order's rules changed in one, the customers in one UPDATE and the events marked
evaluated in one (these three pipelined: one round trip). The planned actions are written, and
listed ones cancelled (one UPDATE, each row its own reason: ``by_row``), by the action stage's one
writer (``actions.schedule``). No savepoint per event or firing. The rest of ``rules`` speaks in
plain objects. PostgreSQL is the production database: there an INSERT is ``unnest`` of one array
per column, a statement's text does not depend on its number of rows, and ids are looked up by
the primary key whatever the tables' statistics say; the same work runs on SQLite (the demo) in
its dialect. An INSERT's column list is the model's (``sql.insert_shape``)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

from ..models import Customer, OrderChange, Rule, RuleFiring, RulePack, ScheduledAction, StoreEvent
from ..sql import array_value, cast_type, insert_shape, pipelined, read_timestamp, timestamp

_FIRINGS = RuleFiring._meta.db_table
_ACTIONS = ScheduledAction._meta.db_table
_EVENTS = StoreEvent._meta.db_table
CLAIM_WINDOW = 4
_FIRING_COLUMNS = ("rule_id", "rule_version", "event_id", "customer_id", "fired_at", "scope_key", "facts_set")
_CHANGE_COLUMNS = ("customer_id", "order_id", "number", "rule_id", "firing_id", "event_id", "fact", "before", "after",
                   "changed_at")


class PendingRow(NamedTuple):
    """A pending action as ``pending_actions`` lists it (the SELECT's columns, in this order)."""

    pk: int
    customer_id: int
    kind: str
    event_id: int
    occurred_at: datetime       # the event's
    guard: list
    awaited: str | None         # params.event: what an await waits for
    message_class: str | None   # params.class: marketing unless it says otherwise
    rule_id: int | None
    due_at: datetime


def claim_waiting_events(limit: int) -> list[int]:
    """Ids of up to ``limit`` waiting events, oldest first, of customers this transaction has just
    locked (``FOR UPDATE SKIP LOCKED``): another worker's customers are left to it, so workers never
    wait on each other and each customer's events are evaluated in order by one of them. Events
    that name no customer (only marked ignored) are locked themselves, the same way.

    It looks at a window of the oldest waiting events, wider than one batch so that a second worker
    finds customers the first has not taken; a window whose customers are all held by others (one
    customer's backlog fills it) is followed by the next one, up to ``CLAIM_WINDOW`` windows. With
    nothing waiting it costs one statement."""
    waiting = StoreEvent.objects.filter(status=StoreEvent.Status.RECEIVED)
    size, after = limit * CLAIM_WINDOW, 0
    for _ in range(CLAIM_WINDOW):
        window = list(waiting.filter(pk__gt=after).order_by("pk").values_list("pk", "customer_id")[:size])
        customers = {customer for _, customer in window} - {None}
        anonymous = [pk for pk, customer in window if customer is None]
        locked = set(Customer.objects.select_for_update(skip_locked=True).filter(pk__in=customers)
                     .order_by("pk").values_list("pk", flat=True)[:limit]) if customers else set()
        alone = set(waiting.select_for_update(skip_locked=True).filter(pk__in=anonymous)
                    .values_list("pk", flat=True)) if anonymous else set()
        if locked or alone:
            mine = waiting.filter(Q(customer_id__in=locked) | Q(pk__in=alone))
            return list(mine.order_by("pk").values_list("pk", flat=True)[:limit])
        if len(window) < size:
            return []
        after = window[-1][0]
    return []


def commit_without_waiting_for_the_disk() -> None:
    """This transaction's COMMIT returns before its WAL reaches the disk (PostgreSQL's
    ``synchronous_commit = off``, for this transaction only). Safe for an evaluation and only for
    it: its input, the stored events, was committed durably at intake; its writes are derived from
    them and touch nothing outside the database. A crash within the next ~0.6 s (3 × wal_writer_delay)
    can lose the evaluation's writes, and then the events are still waiting and are evaluated again
    — and every later durable commit (a send's Delivery row) flushes the WAL before it, so nothing is
    ever sent on an evaluation that is then lost."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def lock_events(ids) -> list[StoreEvent]:
    """These events, locked (``FOR UPDATE``), in primary-key order: one fixed text on PostgreSQL."""
    if not ids:
        return []
    if connection.vendor != "postgresql":
        return list(StoreEvent.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return _locked(StoreEvent, ids)


def lock_customers(ids) -> dict[int, Customer]:
    """These customers by id, locked (``FOR UPDATE``) in primary-key order."""
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        return {customer.pk: customer for customer in
                Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return {customer.pk: customer for customer in _locked(Customer, ids)}


def _locked(model, ids) -> list:
    """Rows of ``model`` by id, locked in id order, as the ORM would load them (its converters,
    ``from_db``) without compiling a query each time."""
    fields = model._meta.concrete_fields
    converters = [(position, field.get_col(model._meta.db_table), field.get_db_converters(connection))
                  for position, field in enumerate(fields) if field.get_db_converters(connection)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(field.column for field in fields)} FROM {model._meta.db_table} "
                       f"WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE", [sorted(ids)])
        rows = cursor.fetchall()
    names = [field.attname for field in fields]
    loaded = []
    for row in rows:
        values = list(row)
        for position, column, functions in converters:
            for convert in functions:
                values[position] = convert(values[position], column, connection)
        loaded.append(model.from_db(connection.alias, names, values))
    return loaded


def fired_scopes(rule_pks: set[int], scope_keys: set[str]) -> set[tuple[int, str]]:
    """Which of these (rule, scope) pairs already fired: the ``once`` scopes (a customer, an order,
    a product) a delivery's events could fire in, asked once for the delivery (served by the unique
    (rule, scope) index)."""
    return pending_and_fired(set(), rule_pks, scope_keys)[1]


def pending_and_fired(customer_pks: set[int], rule_pks: set[int], scope_keys: set[str]):
    """``pending_actions`` and ``fired_scopes`` asked together, in one round trip on PostgreSQL
    (the two statements pipelined)."""
    statements = [_pending_statement(customer_pks) if customer_pks else None,
                  _fired_statement(rule_pks, scope_keys) if rule_pks and scope_keys else None]
    results = [[], []]
    with pipelined(), connection.cursor() as pending, connection.cursor() as fired:
        for cursor, statement in zip((pending, fired), statements):
            if statement:
                cursor.execute(*statement)
        for position, (cursor, statement) in enumerate(zip((pending, fired), statements)):
            if statement:
                results[position] = cursor.fetchall()
    return [_pending_row(*row) for row in results[0]], set(results[1])


def _fired_statement(rule_pks: set[int], scope_keys: set[str]) -> tuple[str, list]:
    if connection.vendor == "postgresql":  # each pair looked up in that index, whatever the table's statistics say
        pairs = [(rule, key) for rule in rule_pks for key in scope_keys]
        return (f"SELECT f.rule_id, f.scope_key FROM unnest(%s::bigint[], %s::text[]) AS k(rule_id, scope_key) "
                f"JOIN {_FIRINGS} f ON f.rule_id = k.rule_id AND f.scope_key = k.scope_key",
                [[rule for rule, _ in pairs], array_value([key for _, key in pairs])])
    return (f"SELECT rule_id, scope_key FROM {_FIRINGS} WHERE {_in('rule_id', rule_pks)} "
            f"AND {_in('scope_key', scope_keys)}", [*rule_pks, *scope_keys])


def insert_firings(firings: list[RuleFiring]) -> None:
    """A delivery's firings (unsaved, ``facts_set`` filled) in one INSERT; each gets its id.

    The evaluation has already judged the ``once`` scopes (``fired_scopes``) under the customer's
    lock, so a conflict means the rules' bookkeeping is wrong: it is raised, not skipped, and the
    event fails visibly instead of applying its effects twice."""
    if not firings:
        return
    shape = insert_shape(RuleFiring, _FIRING_COLUMNS)
    values = [(f.rule_id, f.rule_version, f.event_id, f.customer_id, timestamp(f.fired_at), f.scope_key,
               json.dumps(f.facts_set, cls=DjangoJSONEncoder)) for f in firings]
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(len(firings), "ON CONFLICT (rule_id, scope_key) DO NOTHING RETURNING id, rule_id, scope_key"),
                       shape.params(values))
        ids = {(rule_pk, scope): pk for pk, rule_pk, scope in cursor.fetchall()}
    for firing in firings:
        firing.pk = ids.get((firing.rule_id, firing.scope_key))
        if firing.pk is None:
            raise RuntimeError(f"rule {firing.rule_id} fired in scope {firing.scope_key!r} already")


def pending_actions(customer_pks: set[int]) -> list[PendingRow]:
    """These customers' pending actions as an evaluation judges cancellations and awaits from
    them, listed once per delivery (the customer/status index serves it)."""
    return pending_and_fired(customer_pks, set(), set())[0]


def _pending_statement(customer_pks: set[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        awaited, message_class, mine, params = ("a.params ->> 'event'", "a.params ->> 'class'",
                                                "a.customer_id = ANY(%s::bigint[])", [sorted(customer_pks)])
    else:
        awaited, message_class, mine, params = ("json_extract(a.params, '$.event')", "json_extract(a.params, '$.class')",
                                                _in("a.customer_id", customer_pks), [*customer_pks])
    return (f"SELECT a.id, a.customer_id, a.kind, a.event_id, e.occurred_at, a.guard, {awaited}, {message_class}, "
            f"a.rule_id, a.due_at FROM {_ACTIONS} a JOIN {_EVENTS} e ON e.id = a.event_id "
            f"WHERE {mine} AND a.status = %s ORDER BY a.due_at, a.id", [*params, ScheduledAction.Status.PENDING])


def _pending_row(pk, customer, kind, event, at, guard, awaited, message_class, rule, due) -> PendingRow:
    return PendingRow(pk, customer, kind, event, read_timestamp(at), json.loads(guard) if isinstance(guard, str) else guard,
                      awaited, message_class, rule, read_timestamp(due))


def rules_fingerprint():
    """What the enabled rules and the packs are now, in one read: it changes when a rule is saved,
    toggled, added or removed, or a pack re-parametrized (``evaluate.active_rules`` rebuilds the
    compiled set then). On PostgreSQL the rows' versions: every change of a row writes a new
    version of it, with its own ``xmin`` (the transaction) and ``ctid`` (its place; new within one
    transaction too), so nothing of the rows themselves is read or sent."""
    if connection.vendor != "postgresql":
        rule_rows = tuple(Rule.objects.filter(enabled=True, live=True).order_by("pk")
                          .values_list("pk", "version", "updated_at"))
        pack_rows = tuple(RulePack.objects.order_by("pk").values_list("pack_id", "parameters", "parameter_values",
                                                                       "segments"))
        return rule_rows, json.dumps(pack_rows, sort_keys=True, default=str)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT concat((SELECT string_agg(concat_ws(':', id, xmin, ctid), ',' ORDER BY id) "
            f"FROM {Rule._meta.db_table} WHERE enabled AND live), '|', (SELECT string_agg(concat_ws(':', id, xmin, "
            f"ctid), ',' ORDER BY id) FROM {RulePack._meta.db_table}))")
        return cursor.fetchone()[0]


def insert_order_changes(changes: list[OrderChange]) -> None:
    """What an order's firings changed (``takeback.record``'s rows, unsaved), in one INSERT."""
    if not changes:
        return
    shape = insert_shape(OrderChange, _CHANGE_COLUMNS)
    values = [(c.customer_id, c.order_id, c.number, c.rule_id, c.firing_id if c.firing_id is not None else
               (c.firing.pk if c.firing is not None else None), c.event_id, c.fact, _json(c.before), _json(c.after),
               timestamp(c.changed_at)) for c in changes]
    with connection.cursor() as cursor:
        cursor.execute(shape.sql(len(changes)), shape.params(values))


def update_customers(changed: list[tuple[Customer, set[str]]]) -> None:
    """Write each customer's changed fields (and ``updated_at``), as ``save(update_fields=…)``
    would, in one statement on PostgreSQL: several customers in one ``UPDATE … FROM unnest(…)``,
    where a field a customer did not change keeps the value in the database."""
    changed = [(customer, fields) for customer, fields in changed if fields]
    if not changed:
        return
    if connection.vendor != "postgresql":
        for customer, fields in changed:
            customer.save(update_fields=[*sorted(fields), "updated_at"])
        return
    table, stamp = Customer._meta.db_table, Customer._meta.get_field("updated_at")
    fields = [Customer._meta.get_field(name) for name in sorted(set().union(*(names for _, names in changed)))]
    if len(changed) == 1:
        [(customer, _)] = changed
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {', '.join(f'{field.column} = %s' for field in [*fields, stamp])} "
                           f"WHERE id = %s", [*(_saved(field, customer) for field in [*fields, stamp]), customer.pk])
        return
    columns = [[customer.pk for customer, _ in changed], [",".join(("", *names, "")) for _, names in changed],
               *([_saved(field, customer) for customer, _ in changed] for field in [*fields, stamp])]
    kinds = "".join(f", %s::{cast_type(field)}[]" for field in [*fields, stamp])
    assignments = "".join(f"{field.column} = CASE WHEN strpos(v.changed, ',{field.name},') > 0 "
                          f"THEN v.{field.column} ELSE c.{field.column} END, " for field in fields)
    names = "".join(f", {field.column}" for field in [*fields, stamp])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS c SET {assignments}{stamp.column} = v.{stamp.column} "
                       f"FROM unnest(%s::bigint[], %s::text[]{kinds}) AS v(id, changed{names}) WHERE c.id = v.id",
                       columns)


def by_row(pks: list[int], values: list, field_name: str) -> RawSQL:
    """A scheduled action's own value of ``field_name`` in one UPDATE of several (PostgreSQL): the
    value at the row's place in ``pks``, so one statement gives each row its own reason, time or cause."""
    field = ScheduledAction._meta.get_field(field_name)
    return RawSQL(f"(%s::{cast_type(field)}[])[array_position(%s::bigint[], {_ACTIONS}.id)]", (values, pks),
                  output_field=field)


def listed(pks: list[int]) -> RawSQL:
    """These ids as a subquery to filter on (``pk__in``, PostgreSQL): each is looked up by the
    primary key, where an ``IN`` list may be planned as a scan of another index when the table's
    statistics are behind (a table that grew since its last ANALYZE)."""
    return RawSQL("SELECT unnest(%s::bigint[])", (pks,))


def mark_evaluated(outcomes: dict[int, tuple[str, str]], at: datetime) -> None:
    """Each event's status and error (event id → (status, error)): on PostgreSQL in one UPDATE,
    elsewhere one per distinct outcome."""
    groups: dict[tuple[str, str], list[int]] = {}
    for pk, outcome in outcomes.items():
        groups.setdefault(outcome, []).append(pk)
    if connection.vendor == "postgresql" and len(groups) > 1:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_EVENTS} AS e SET status = v.status, error = v.error, processed_at = %s, "
                f"attempts = e.attempts + 1 FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, status, error) "
                f"WHERE e.id = v.id",
                [at, list(outcomes), [status for status, _ in outcomes.values()],
                 [error for _, error in outcomes.values()]])
        return
    for (status, error), ids in groups.items():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {_EVENTS} SET status = %s, error = %s, processed_at = %s, "
                               f"attempts = attempts + 1 WHERE id = ANY(%s::bigint[])", [status, error, at, ids])
            continue
        StoreEvent.objects.filter(pk__in=ids).update(status=status, error=error, processed_at=at,
                                                     attempts=F("attempts") + 1)


def _saved(field, customer: Customer):
    """The value ``customer.save()`` would write to ``field`` (``updated_at``: now)."""
    return field.get_db_prep_save(field.pre_save(customer, False), connection)


def _json(value):
    """A JSON column's value as the ORM writes it: None is SQL NULL."""
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"

