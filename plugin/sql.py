"""What the storage modules' raw SQL shares: a timestamp parameter written as the ORM writes it
(on SQLite a naive UTC text that compares with the ORM's own; Python's sqlite3 adapter would add
"+00:00", and a row due at exactly a moment would never compare as due at it), a JSON value, and
the shape of a hand-written multi-row INSERT, its column list taken from the model (``insert_shape``):
on PostgreSQL one fixed text per table whatever the number of rows (``unnest`` of arrays)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timezone as dt_timezone
from functools import lru_cache
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def timestamp(value, using=None):
    return (using or connection).ops.adapt_datetimefield_value(value)


def read_timestamp(value):
    """A timestamp a raw cursor handed back: a datetime on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value


def json_value(using=None) -> str:
    """The placeholder of a JSON parameter (PostgreSQL casts the text to jsonb)."""
    return "%s::jsonb" if (using or connection).vendor == "postgresql" else "%s"


@contextmanager
def pipelined(using=None):
    """Send the statements run inside together, without waiting for each one's answer (psycopg's
    pipeline mode, PostgreSQL): for writes whose results nobody reads. An error is raised at the
    end of the block, as Django's error (``OperationalError`` a lost connection, …)."""
    using = using or connection
    raw = using.connection if using.vendor == "postgresql" else None
    if raw is None or not hasattr(raw, "pipeline") or not _pipelines_supported():
        yield
        return
    with using.wrap_database_errors, raw.pipeline():
        yield


@lru_cache(maxsize=1)
def _pipelines_supported() -> bool:
    from psycopg import Pipeline

    return Pipeline.is_supported()


class Insert(NamedTuple):
    """A multi-row INSERT's shape for one model (``insert_shape``): every concrete column but the
    primary key, the ones the caller gives first.

    On PostgreSQL the rows travel as one array per given column, ``INSERT … SELECT … FROM
    unnest(%s::bigint[], %s::text[], …)``, and every other column's default as one parameter: the
    statement's text is the same whatever the number of rows (parsed quickly, preparable). Elsewhere
    (SQLite, the demo) it is a multi-row ``VALUES``."""

    table: str
    columns: tuple[str, ...]
    row: str                   # one row's placeholders, "(%s, %s::jsonb, …)"
    rest: tuple                # the fields the caller does not give, written with their defaults
    array_types: tuple = ()    # PostgreSQL: each column's type, the rows given as arrays of it

    def sql(self, rows: int, tail: str = "") -> str:
        if self.array_types:
            given = len(self.columns) - len(self.rest)
            arrays = ", ".join(f"%s::{kind}[]" for kind in self.array_types[:given])
            defaults = "".join(f", %s::{kind}" for kind in self.array_types[given:])
            return (f"INSERT INTO {self.table} ({', '.join(self.columns)}) SELECT rows.*{defaults} "
                    f"FROM unnest({arrays}) AS rows {tail}")
        return f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES {', '.join([self.row] * rows)} {tail}"

    def params(self, rows: list[tuple], using=None) -> list:
        """The parameters: the given values (on PostgreSQL one array per column, after the
        defaults; else row after row) and every other column's default (the model's own, taken
        once per statement: a callable default such as ``timezone.now`` is called once)."""
        using = using or connection
        static = _static_defaults(self.rest, using.alias)
        defaults = tuple(_default(field, using) if value is _PER_STATEMENT else value
                         for field, value in zip(self.rest, static))
        if self.array_types:
            given = len(self.columns) - len(self.rest)
            return [*defaults, *(array_value([row[i] for row in rows]) for i in range(given))]  # as the text names them
        return [value for row in rows for value in (*row, *defaults)]


def insert_shape(model, given: tuple[str, ...], using=None) -> Insert:
    """How to INSERT rows of ``model`` giving the columns ``given`` (adapted as the database takes
    them: ``timestamp``, JSON as text). The column list is the model's, so a column added to the
    model is written with its default without touching the statement; a non-null column with no
    default that the caller does not give is refused here, not by the database at the first row."""
    return _shape(model._meta.db_table, tuple(model._meta.concrete_fields), tuple(given), (using or connection).alias)


@lru_cache(maxsize=64)
def _shape(table: str, fields: tuple, given: tuple[str, ...], alias: str) -> Insert:
    from django.db import connections

    using = connections[alias]
    by_column = {field.column: field for field in fields if not field.primary_key}
    unknown = [column for column in given if column not in by_column]
    if unknown:
        raise ValueError(f"{table} has no column {', '.join(unknown)}")
    rest = tuple(field for column, field in by_column.items() if column not in given)
    for field in rest:
        if not (field.null or field.has_default() or field.empty_strings_allowed or _automatic(field)):
            raise ValueError(f"{table}.{field.column} is not null and has no default: the INSERT must give it")
    columns = (*given, *(field.column for field in rest))
    json_placeholder = "%s::jsonb" if using.vendor == "postgresql" else "%s"
    placeholders = [json_placeholder if by_column[column].get_internal_type() == "JSONField" else "%s"
                    for column in columns]
    array_types = tuple(cast_type(by_column[column], using) for column in columns) if using.vendor == "postgresql" else ()
    return Insert(table, columns, f"({', '.join(placeholders)})", rest, array_types)


def array_value(values: list):
    """One array parameter: text (JSON given as text too) written as the array's literal, which str
    methods build faster than the adapter quotes item by item; any other values as they are."""
    if not all(value is None or type(value) is str for value in values):
        return values
    return "{" + ",".join("NULL" if value is None else
                          '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"


def cast_type(field, using=None) -> str:
    """The PostgreSQL type a parameter of ``field`` is cast to (an array's: ``cast_type(f) + "[]"``),
    its modifier left to the column: a cast to varchar(64) would cut a longer value short."""
    return re.sub(r"\(.*\)", "", field.cast_db_type(using or connection))


_PER_STATEMENT = object()


@lru_cache(maxsize=64)
def _static_defaults(rest: tuple, alias: str) -> tuple:
    """Each field's database value when its default is a constant; ``_PER_STATEMENT`` where it is
    a callable or a time (``timezone.now``, ``dict``), taken again for every statement."""
    from django.db import connections

    return tuple(_PER_STATEMENT if _automatic(field) or callable(field.default)
                 else field.get_db_prep_save(field.get_default(), connections[alias]) for field in rest)


def _automatic(field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _default(field, using):
    value = timezone.now() if _automatic(field) else field.get_default()
    return field.get_db_prep_save(value, using)
