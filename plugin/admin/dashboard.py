"""The panel on the Wagtail home page: today's events and messages, and what needs attention."""
from __future__ import annotations

from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..checks import missing
from ..models import Delivery, StoreEvent
from .attention import attention


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
        }
