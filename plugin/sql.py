"""What the storage modules' raw SQL shares: a timestamp parameter written as the ORM writes it
(on SQLite a naive UTC text that compares with the ORM's own; Python's sqlite3 adapter would add
"+00:00", and a row due at exactly a moment would never compare as due at it), and a JSON value."""
from __future__ import annotations

from datetime import timezone as dt_timezone

from django.db import connection
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
