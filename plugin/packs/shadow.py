"""A private copy of Masa's tables for a rehearsal, so that it never locks live rows.

On PostgreSQL, inside the rehearsal's transaction, each table the live path writes gets a
temporary twin of the same name (``CREATE TEMP TABLE … (LIKE …)``, filled with ``INSERT …
SELECT``). Temporary tables come first in the search path, so every query of the rehearsal —
the ORM's and the storage modules' SQL alike — reads and writes the copies; the live tables are
only read, which takes no row locks, and the store's webhooks and workers go on meanwhile. The
copies go with the transaction (it is always rolled back). Elsewhere (SQLite, the demo) there
is no such twin: the rehearsal's own rolled-back transaction is the copy.
"""
from __future__ import annotations

from django.apps import apps
from django.db import connection

KEPT_LIVE = {"masa_job"}   # a job's progress must be seen outside the rehearsal
ALSO = ("wagtailcore_referenceindex", "wagtailcore_revision", "wagtailcore_modellogentry")
# Tables no rehearsal plays (intake's record, delivery attempts, heartbeats, broadcasts, the
# admin's history and reference index): their copies start empty, whatever the live ones hold.
NOT_PLAYED = ("masa_inbounddelivery", "masa_deliveryattempt", "masa_workerheartbeat", "masa_broadcast",
              "wagtailcore_modellogentry", "wagtailcore_referenceindex")
# A simulation replays the store's events from a clean slate (``packs.simulate._replay`` deletes
# every action and firing, the deliveries they made and Masa's own events): only what it keeps is copied.
REPLAYED = {
    "masa_scheduledaction": " WHERE false",
    "masa_rulefiring": " WHERE false",
    "masa_delivery": " WHERE action_id IS NULL",
    "masa_storeevent": " WHERE source NOT IN ('masa', 'delivery')",
}
# Of Wagtail's revisions, a simulation (which may install or upgrade a pack) copies only Masa's.
MASA_REVISIONS = " WHERE base_content_type_id IN (SELECT id FROM django_content_type WHERE app_label = 'masa')"


def shadowed_tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    masa = [model._meta.db_table for model in apps.get_app_config("masa").get_models()]
    return [table for table in [*masa, *ALSO] if table in existing and table not in KEPT_LIVE]


def _rows_of(table: str, customer_id: int | None, replay: bool = False) -> str:
    """Which rows a copy takes: what the rehearsal plays. With ``customer_id`` only that customer's
    (the shop's rules, packs, templates and channels whole; other stores' bookkeeping left empty);
    with ``replay`` what a simulation keeps before it replays the events (``REPLAYED``)."""
    if table in NOT_PLAYED:
        return " WHERE false"
    if customer_id is None:
        if table == "wagtailcore_revision":
            return MASA_REVISIONS
        return REPLAYED.get(table, "") if replay else ""
    models = {model._meta.db_table: model for model in apps.get_app_config("masa").get_models()}
    model = models.get(table)
    if model is None:
        return " WHERE false"
    if table == "masa_customer":
        return f" WHERE id = {int(customer_id)}"
    if any(f.name == "customer" for f in model._meta.fields):
        return f" WHERE customer_id = {int(customer_id)}"
    if table in ("masa_inbounddelivery", "masa_deliveryattempt", "masa_workerheartbeat", "masa_broadcast"):
        return " WHERE false"
    return ""


def shadow(customer_id: int | None = None, replay: bool = False) -> bool:
    """Give this transaction its own copy of every table a rehearsal writes (PostgreSQL); returns
    whether it did. With ``customer_id`` the copies hold only that customer's rows (a forecast);
    with ``replay`` only the rows a simulation replays from. Call inside ``transaction.atomic()``."""
    if connection.vendor != "postgresql":
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
        for table in shadowed_tables():
            name = quote(table)
            cursor.execute(f"CREATE TEMP TABLE {name} (LIKE {schema}.{name} INCLUDING DEFAULTS INCLUDING IDENTITY "
                           f"INCLUDING CONSTRAINTS INCLUDING INDEXES) ON COMMIT DROP")
            cursor.execute(f"INSERT INTO pg_temp.{name} OVERRIDING SYSTEM VALUE SELECT * FROM {schema}.{name}"
                           f"{_rows_of(table, customer_id, replay)}")
            cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> ''",
                           [f"pg_temp.{name}"])
            for (column,) in cursor.fetchall():
                cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) + 1 FROM pg_temp.{name}")
                cursor.execute(f"ALTER TABLE pg_temp.{name} ALTER COLUMN {quote(column)} RESTART WITH "
                               f"{int(cursor.fetchone()[0])}")
    return True
