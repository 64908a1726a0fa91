from django.apps import AppConfig


class MasaConfig(AppConfig):
    name = "masa"
    label = "masa"
    verbose_name = "Masa journeys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .admin.permissions import ensure_groups
        from .signals import django_signals  # noqa: F401  (connects the public receivers)

        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="masa.ensure_groups")

        try:
            from anymail.signals import tracking
        except ImportError:
            return
        from .signals.anymail_tracking import on_tracking

        tracking.connect(on_tracking, dispatch_uid="masa.anymail_tracking")
