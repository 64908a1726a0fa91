"""Raw SQL writes timestamps as the ORM does, on SQLite too (the demo's database): an action due
at exactly a moment is due at it, and what a raw cursor reads back is an aware datetime."""
from datetime import datetime, timezone

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from masa.sql import read_timestamp, timestamp

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 12, 2, 14, 21, 57, 503129, tzinfo=timezone.utc)


def sqlite():
    wrapper = DatabaseWrapper({**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:",
                               "OPTIONS": {}, "TEST": {}})
    wrapper.ensure_connection()
    return wrapper


def test_on_sqlite_a_raw_timestamp_compares_equal_to_the_orms():
    db = sqlite()
    try:
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE due (at datetime)")
            cursor.execute("INSERT INTO due (at) VALUES (%s)", [timestamp(MOMENT, db)])
            cursor.execute("SELECT at FROM due WHERE at <= %s", [db.ops.adapt_datetimefield_value(MOMENT)])
            rows = cursor.fetchall()
        assert len(rows) == 1, "a row due at exactly the moment is due at it"
        assert read_timestamp(rows[0][0]) == MOMENT
    finally:
        db.close()


def test_on_postgresql_timestamps_pass_as_they_are():
    assert timestamp(MOMENT) == MOMENT or connection.vendor != "postgresql"
    assert read_timestamp(MOMENT) == MOMENT
    assert read_timestamp("2026-12-02 14:21:57.503129") == MOMENT
