"""The database ``masa_pack test`` plays its scenarios on: the site's own when it is migrated (each
scenario is rolled back, so nothing is kept), else a throwaway one migrated for the run — a
fresh site (no ``migrate`` yet, or a SQLite file that does not exist) can test a pack at once.

The throwaway database is Masa's own and nobody else's: on SQLite it lives in memory; elsewhere it
is ``masa_rehearsal_<random>``, which the command creates itself (refusing, in words, when it
cannot: no right to create a database, or the name is taken) and drops afterwards. Nothing Masa did
not create in this same run is ever dropped or emptied — not ``test_<NAME>``, not a database of any
other name, and not the site's own; a SQLite file that does not exist is not created.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError, connection

PREFIX = "masa_rehearsal_"


class NoRehearsalDatabase(RuntimeError):
    """Neither the site's database is migrated nor can a throwaway one be made."""


def _sqlite_file_missing() -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return (connection.vendor == "sqlite" and name not in ("", ":memory:") and not name.startswith("file:")
            and not Path(name).exists())


def unapplied_migrations() -> int | None:
    """How many migrations the site's database lacks; None when it cannot be read (it does not
    exist, or cannot be reached). A SQLite file that does not exist is not opened (that makes it)."""
    from django.db.migrations.executor import MigrationExecutor

    if _sqlite_file_missing():
        return None
    try:
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return None


def _create_own_database() -> str:
    """A new, empty ``masa_rehearsal_<random>`` (made here, so it is ours to drop); raises
    DatabaseError when it cannot be made — an existing database of that name is never reused."""
    name = PREFIX + secrets.token_hex(6)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}"
                       f"{connection.creation.sql_table_creation_suffix()}")
    return name


def _drop_own_database(name: str) -> None:
    assert name.startswith(PREFIX), name  # only ever the one this run created
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


@contextmanager
def rehearsal_database(say=lambda text: None):
    """Inside: a migrated database to rehearse on (``say`` tells which, when it is not the site's)."""
    missing = unapplied_migrations()
    if missing == 0:
        yield
        return
    name = connection.settings_dict.get("NAME")
    why = "is not migrated yet" if missing is None else f"is not migrated ({missing} migrations to apply)"
    say(f"The site's database ({name}) {why}: the scenarios play on a throwaway database, migrated for them "
        f"(to test on the site's own, run `python manage.py migrate` first).")
    saved_test = connection.settings_dict.get("TEST") or {}
    own = None
    try:
        if connection.vendor == "sqlite":
            # In memory, whatever the site's TEST NAME says (a file there would be deleted first).
            connection.settings_dict["TEST"] = {**saved_test, "NAME": None}
        else:
            own = _create_own_database()
            connection.settings_dict["TEST"] = {**saved_test, "NAME": own}
        # keepdb: Django creates nothing and drops nothing here; the database is the one just made.
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False,
                                                      keepdb=own is not None)
    except Exception as error:  # noqa: BLE001 - any reason the throwaway database cannot be made is said the same way
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.settings_dict["TEST"] = saved_test
        if own is not None:
            try:
                _drop_own_database(own)
            except DatabaseError:
                pass
        raise NoRehearsalDatabase(
            f"The site's database ({name}) {why}, and a throwaway one cannot be made ({error}). "
            f"Run `python manage.py migrate`, then `masa_pack test` again.") from error
    try:
        yield
    finally:
        try:
            # keepdb=False drops the test database: ours (``own``) on PostgreSQL, memory on SQLite.
            connection.creation.destroy_test_db(old_name, verbosity=0)
        finally:
            connection.settings_dict["TEST"] = saved_test
