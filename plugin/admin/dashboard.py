"""The panel on the Wagtail home page: today's events and messages, and what needs attention."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..checks import last_worker, missing
from ..models import Delivery, StoreEvent
from .attention import attention


def _worker():
    """The worker that ran last, if one ran in the last 10 minutes (else the setup list says so)."""
    worker = last_worker()
    if worker is not None:
        worker.recent = worker.seen_at > timezone.now() - timedelta(minutes=1)
    return worker


class JourneysPanel(Component):
    name = "masa_journeys"
    order = 90
    template_name = "masa/admin/dashboard_panel.html"

    def get_context_data(self, parent_context=None):
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        return {
            "events_today": StoreEvent.objects.filter(received_at__gte=start).count(),
            "sent_today": Delivery.objects.filter(sent_at__gte=start, status__in=Delivery.SENT_STATUSES).count(),
            "counts": attention(),
            "setup": [(message, hint) for _, message, hint in missing()],
            "worker": _worker(),
        }
