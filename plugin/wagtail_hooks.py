"""Masa in the Wagtail admin: a "Journeys" menu, its pages, bulk actions, the home panel, and
the audit-log actions Masa records."""
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from .admin.channels import ChannelViewSet
from .admin.dashboard import JourneysPanel
from .admin.permissions import can_edit, can_view
from .admin.rules import RuleViewSet, TurnRulesOff, TurnRulesOn
from .admin.templates_admin import MessageTemplateViewSet
from .admin.urls import admin_urls


class JourneysGroup(SnippetViewSetGroup):
    menu_label = "Journeys"
    menu_icon = "cogs"
    menu_order = 150
    items = (RuleViewSet, MessageTemplateViewSet, ChannelViewSet)

    def get_submenu_items(self):
        items = super().get_submenu_items()
        for order, (label, url_name, icon) in enumerate([
            ("Rule packs", "masa_packs", "folder-open-inverse"), ("Customers", "masa_customers", "user"),
            ("Results", "masa_results", "doc-full"), ("Broadcasts", "masa_broadcasts", "mail"),
            ("Needs attention", "masa_failures", "warning"), ("Saleor stores", "masa_saleor_stores", "site"),
            ("Background jobs", "masa_jobs", "time"),
        ]):
            item = _MasaMenuItem(label, reverse_lazy(url_name), icon_name=icon, order=500 + order)
            item.for_editors = url_name == "masa_jobs"
            items.append(item)
        return items


class _MasaMenuItem(MenuItem):
    for_editors = False

    def is_shown(self, request):
        return can_edit(request.user) if self.for_editors else can_view(request.user)


@hooks.register("register_admin_viewset")
def register_journeys():
    return JourneysGroup()


@hooks.register("register_admin_urls")
def register_masa_urls():
    return admin_urls()


hooks.register("register_bulk_action", TurnRulesOn)
hooks.register("register_bulk_action", TurnRulesOff)


@hooks.register("insert_global_admin_css")
def masa_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("masa/admin.css"))


@hooks.register("construct_homepage_panels")
def add_journeys_panel(request, panels):
    if can_view(request.user):
        panels.append(JourneysPanel())


@hooks.register("register_log_actions")
def register_masa_log_actions(actions):
    for action, label, message in [
        ("masa.rule.on", "Turn rule on", "Turned the rule on"),
        ("masa.rule.off", "Turn rule off", "Turned the rule off"),
        ("masa.rule.backfill", "Backfill rule", "Backfilled the rule over past events"),
        ("masa.rule.broadcast", "Broadcast rule", "Started a broadcast of the rule"),
        ("masa.broadcast.cancel", "Cancel broadcast", "Cancelled a broadcast"),
        ("masa.rule.trigger", "Start rule by hand", "Started a rule for this customer"),
        ("masa.action.cancel", "Cancel scheduled action", "Cancelled a scheduled action"),
        ("masa.pack.import", "Import pack", "Imported the pack"),
        ("masa.pack.upgrade", "Upgrade pack", "Upgraded the pack"),
        ("masa.pack.parameters", "Change pack parameters", "Changed the pack's parameters"),
        ("masa.channel.test", "Test channel", "Sent a test message"),
        ("masa.message.test", "Test a message", "Sent a test of the message to oneself"),
        ("masa.split.winner", "Choose a split's winner", "Chose the winning branch of an A/B split"),
        ("masa.customer.erase", "Erase customer", "Erased the customer's data"),
    ]:
        actions.register_action(action, label, message)
