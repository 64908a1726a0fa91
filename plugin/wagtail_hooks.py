"""Masa in the Wagtail admin: a "Journeys" menu, its pages, bulk actions, the home panel, and
the audit-log actions Masa records."""
from pathlib import Path

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from .admin.channels import ChannelViewSet
from .admin.dashboard import JourneysPanel
from .admin.permissions import can_view
from .admin.reminders import add_reminders_panel
from .admin.rules import RuleViewSet, TurnRulesOff, TurnRulesOn
from .admin.templates_admin import MessageTemplateViewSet
from .admin.urls import admin_urls, menu_pages


class JourneysGroup(SnippetViewSetGroup):
    """The Journeys menu: the snippet view sets', then the menu items Masa's pages declare."""
    menu_label = gettext_lazy("Journeys")
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


STYLESHEETS = sorted(path.name for path in (Path(__file__).parent / "static" / "masa").glob("*.css"))


@hooks.register("insert_global_admin_css")
def masa_admin_css():
    """Every stylesheet of Masa's admin (one per area: admin.css, rule-editor.css, …)."""
    return format_html_join("", '<link rel="stylesheet" href="{}">', ((static(f"masa/{name}"),) for name in STYLESHEETS))


@hooks.register("construct_homepage_panels")
def add_journeys_panel(request, panels):
    if can_view(request.user):
        panels.append(JourneysPanel())


hooks.register("construct_homepage_panels", add_reminders_panel)


@hooks.register("register_log_actions")
def register_masa_log_actions(actions):
    for action, label, message in [
        ("masa.rule.on", gettext_lazy("Turn rule on"), gettext_lazy("Turned the rule on")),
        ("masa.rule.off", gettext_lazy("Turn rule off"), gettext_lazy("Turned the rule off")),
        ("masa.rule.backfill", gettext_lazy("Backfill rule"), gettext_lazy("Backfilled the rule over past events")),
        ("masa.rule.broadcast", gettext_lazy("Broadcast rule"), gettext_lazy("Started a broadcast of the rule")),
        ("masa.broadcast.cancel", gettext_lazy("Cancel broadcast"), gettext_lazy("Cancelled a broadcast")),
        ("masa.rule.trigger", gettext_lazy("Start rule by hand"), gettext_lazy("Started a rule for this customer")),
        ("masa.action.cancel", gettext_lazy("Cancel scheduled action"), gettext_lazy("Cancelled a scheduled action")),
        ("masa.pack.import", gettext_lazy("Import pack"), gettext_lazy("Imported the pack")),
        ("masa.pack.upgrade", gettext_lazy("Upgrade pack"), gettext_lazy("Upgraded the pack")),
        ("masa.pack.parameters", gettext_lazy("Change pack parameters"), gettext_lazy("Changed the pack's parameters")),
        ("masa.pack.subscribe", gettext_lazy("Subscribe to a pack"), gettext_lazy("Subscribed to the pack's releases")),
        ("masa.pack.unsubscribe", gettext_lazy("Unsubscribe from a pack"),
         gettext_lazy("Unsubscribed from the pack's releases")),
        ("masa.pack.subscription_check", gettext_lazy("Check a pack subscription"),
         gettext_lazy("Checked the pack's releases")),
        ("masa.channel.test", gettext_lazy("Test channel"), gettext_lazy("Sent a test message")),
        ("masa.message.test", gettext_lazy("Test a message"), gettext_lazy("Sent a test of the message to oneself")),
        ("masa.split.winner", gettext_lazy("Choose a split's winner"), gettext_lazy("Chose the winning branch of an A/B split")),
        ("masa.customer.erase", gettext_lazy("Erase customer"), gettext_lazy("Erased the customer's data")),
        ("masa.customer.tag", gettext_lazy("Tag customer"), gettext_lazy("Added a tag to the customer")),
        ("masa.customer.unsubscribe", gettext_lazy("Stop marketing"),
         gettext_lazy("Recorded that the customer wants no more marketing")),
        ("masa.customer.message", gettext_lazy("Personal message"),
         gettext_lazy("Wrote a personal message to the customer")),
    ]:
        actions.register_action(action, label, message)
