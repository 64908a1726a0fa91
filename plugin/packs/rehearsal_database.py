"""The database ``masa_pack test`` plays its scenarios on: the site's own when it is migrated (each
scenario is rolled back, so nothing is kept), else a throwaway one migrated for the run — a
fresh site (no ``migrate`` yet, or a SQLite file that does not exist) can test a pack at once.

The throwaway database is Django's test database for ``default`` (``creation.create_test_db``):
in memory for SQLite, ``test_<NAME>`` on PostgreSQL (which needs the right to create a database;
without it the command says to run ``migrate`` first). It is destroyed afterwards, and the
site's own database is not touched: a SQLite file that does not exist is not created.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError, connection


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
    try:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    except Exception as error:  # noqa: BLE001 - any reason the test database cannot be made is said the same way
        connection.settings_dict["NAME"] = name
        raise NoRehearsalDatabase(
            f"The site's database ({name}) {why}, and a throwaway one cannot be made ({error}). "
            f"Run `python manage.py migrate`, then `masa_pack test` again.") from error
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
