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
from .admin.permissions import can_view
from .admin.rules import RuleViewSet, TurnRulesOff, TurnRulesOn
from .admin.templates_admin import MessageTemplateViewSet
from .admin.urls import admin_urls, menu_pages


class JourneysGroup(SnippetViewSetGroup):
    """The Journeys menu: the snippet view sets', then the menu items Masa's pages declare."""
    menu_label = "Journeys"
    menu_icon = "cogs"
    menu_order = 150
    items = (RuleViewSet, MessageTemplateViewSet, ChannelViewSet)

    def get_submenu_items(self):
        return [*super().get_submenu_items(), *(_MasaMenuItem(page) for page in menu_pages())]


class _MasaMenuItem(MenuItem):
    """A Masa page's item, shown to who may open the page."""

    def __init__(self, page):
        super().__init__(page.menu_label, reverse_lazy(page.name), icon_name=page.menu_icon, order=page.menu_order)
        self.page = page

    def is_shown(self, request):
        return self.page.allows(request.user)


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
