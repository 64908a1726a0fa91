"""The two groups a shop starts with, and the checks the admin views use.

Journeys viewers see everything (rules, packs, channel health, timelines, results) and change
nothing. Journeys editors also edit and publish rules, import packs, configure channels (and
their secrets), cancel scheduled actions, write notes, start rules by hand and erase customers (GDPR).
"""
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied

EDITORS = "Journeys editors"
VIEWERS = "Journeys viewers"

VIEW = ["view_rule", "view_rulepack", "view_channel", "view_messagetemplate", "view_customer"]
EDIT = [
    *VIEW, "add_rule", "change_rule", "delete_rule", "publish_rule", "add_rulepack", "change_rulepack",
    "add_channel", "change_channel", "delete_channel", "add_messagetemplate", "change_messagetemplate",
    "change_customer", "trigger_rule_customer", "add_customernote", "delete_customer",
]
GROUPS = {VIEWERS: VIEW, EDITORS: EDIT}


def _permission(codename: str) -> Permission:
    model = codename.split("_", 1)[1]
    if codename == "trigger_rule_customer":
        model = "customer"
    content_type = ContentType.objects.get_for_model(apps.get_model("masa", model))
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": f"Can {codename.replace('_', ' ')}"},
    )
    return permission


def _access_admin() -> Permission:
    """Wagtail's "Can access Wagtail admin", made here if Wagtail's own post_migrate has not run yet
    (apps listed before wagtail.admin migrate first, and a test database flush re-runs them all)."""
    content_type = ContentType.objects.get_for_model(apps.get_model("wagtailadmin", "Admin"))
    permission, _ = Permission.objects.get_or_create(content_type=content_type, codename="access_admin",
                                                     defaults={"name": "Can access Wagtail admin"})
    return permission


def ensure_groups(**kwargs) -> None:
    """post_migrate: create the groups, or add permissions a newer Masa needs (never removes)."""
    ContentType.objects.clear_cache()
    access_admin = _access_admin()
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*[_permission(codename) for codename in codenames],
                              *([access_admin] if access_admin else []))


def can_view(user) -> bool:
    return user.has_perm("masa.view_rule")


def require(user, permission: str) -> None:
    if not user.has_perm(f"masa.{permission}"):
        raise PermissionDenied
