"""Reminders staff set on a customer's note, shown on the reminded staff member's dashboard from
their time until they mark them done (seed 003: "ואפילו לקבל על כך תזכורת")."""
from __future__ import annotations

from wagtail.admin.ui.components import Component

from .customer_actions import due_reminders


class RemindersPanel(Component):
    name = "masa_reminders"
    order = 80
    template_name = "masa/admin/customer_reminders_panel.html"

    def __init__(self, user):
        self.reminders = list(due_reminders(user)[:20])

    def render_html(self, parent_context=None):
        return super().render_html(parent_context) if self.reminders else ""

    def get_context_data(self, parent_context=None):
        return {"reminders": self.reminders, "request": (parent_context or {}).get("request")}


def add_reminders_panel(request, panels) -> None:
    """``construct_homepage_panels``: the signed-in staff member's due reminders, if any."""
    panel = RemindersPanel(request.user)
    if panel.reminders:
        panels.append(panel)
