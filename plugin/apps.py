from django.apps import AppConfig


class MasaConfig(AppConfig):
    name = "masa"
    label = "masa"
    verbose_name = "Masa journeys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Connect the pipeline's receivers (the entry points of docs/architecture.md)."""
        from django.core import checks
        from django.db.models.signals import post_migrate

        from . import checks as masa_checks
        from . import conf
        from . import engine_check, migration_history
        from . import eventstore, tasks
        from .admin.permissions import ensure_groups
        from .signals import django_signals  # noqa: F401  (connects the public receivers)
        from .signals import inbound

        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="masa.ensure_groups")
        checks.register(masa_checks.first_run, "masa")
        checks.register(engine_check.engine_loads, "masa")
        checks.register(conf.check_settings, "masa")
        checks.register(migration_history.history_problem, checks.Tags.database)
        eventstore.events_stored.connect(tasks.enqueue_evaluation, dispatch_uid="masa.evaluate_stored_events")
        inbound.inbound_stored.connect(tasks.read_stored, dispatch_uid="masa.read_stored_deliveries")

        try:
            from anymail.signals import tracking
        except ImportError:
            return
        from .feedback.anymail import on_tracking

        tracking.connect(on_tracking, dispatch_uid="masa.anymail_tracking")
