"""The check that stops a database Masa 0.2 cannot migrate: one where some, not all, of 0.1's
migrations (squashed into 0001_squashed_0023 in 0.2) were applied — an early 0.1 development
state. Django would fail on it with a graph error; this says what to do instead."""
from importlib import import_module

from django.core import checks
from django.db import DatabaseError, connection

SQUASHED = "masa.migrations.0001_squashed_0023_channels_consent_whatsapp"


def replaced() -> list[str]:
    return [name for app, name in import_module(SQUASHED).Migration.replaces]


def partly_applied() -> list[str]:
    """0.1's migrations this database has, when it has some but not all of them."""
    old = replaced()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM django_migrations WHERE app = 'masa'")
            applied = {name for (name,) in cursor.fetchall()}
    except DatabaseError:
        return []  # no django_migrations table yet: a new database
    done = [name for name in old if name in applied]
    return done if 0 < len(done) < len(old) else []


def history_problem(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    done = partly_applied()
    if not done:
        return []
    return [checks.Error(
        f"This database has Masa 0.1's migrations up to {done[-1]}, not all of them (0.1 ended at "
        f"{replaced()[-1]}); Masa 0.2 replaced them with one migration and cannot migrate it from there.",
        hint="With Masa 0.1.0 installed (its wheel or a checkout of it), run python manage.py migrate masa; then "
             "install 0.2 again and run python manage.py migrate.",
        id="masa.E021")]
