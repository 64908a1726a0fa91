"""What every Masa admin page shares: its declaration (``AdminPage``), Wagtail's page chrome, a
permission check, and the object a page is about, looked up from its URL (``object_model``, stored
as ``object_name``)."""
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.views.chooser import SnippetChooserViewSet


class MasaPage(WagtailAdminTemplateMixin, TemplateView):
    permission = "view_rule"
    header_icon = "cogs"
    object_model = None
    object_name = "object"
    parent = None          # (label, URL name) of the page above it in the breadcrumbs

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(f"masa.{self.permission}"):
            raise PermissionDenied
        if self.object_model is not None:
            setattr(self, self.object_name, get_object_or_404(self.object_model, **kwargs))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        above = [{"url": reverse(self.parent[1]), "label": self.parent[0]}] if self.parent else []
        return [{"url": reverse_lazy("wagtailadmin_home"), "label": _("Home")}, *above,
                {"url": "", "label": self.get_page_title()}]


@dataclass(frozen=True)
class AdminPage:
    """One Masa admin URL, declared once, in the ``PAGES`` list of its module in ``masa.admin``
    (``admin/urls.py`` collects them): its path under /admin/, its view, its URL name, the
    permission it needs and, if it has one, its item in the Journeys menu.

    The URL name starts ``masa_`` (so the security tests list the page). The permission (a ``masa``
    codename) is the view's own ``permission`` for a ``MasaPage``; a function view names it here.
    It is checked before the view runs, and the menu item is shown to who has it."""

    path: str
    view: Callable
    name: str
    permission: str = ""
    menu_label: str = ""        # the item in the Journeys menu, if the page has one
    menu_icon: str = ""
    menu_order: int = 0         # its place among the Journeys menu's items (Rule packs is 510)

    def __post_init__(self):
        if not self.name.startswith("masa_"):
            raise ImproperlyConfigured(f"{self.name}: a Masa admin URL name starts with masa_")
        if not self.permission:
            object.__setattr__(self, "permission", getattr(self.view, "permission", ""))
        if not self.permission:
            raise ImproperlyConfigured(f"{self.name}: name the permission a function view needs")
        if self.menu_label and "<" in self.path:
            raise ImproperlyConfigured(f"{self.name}: a menu item opens a page whose URL takes no arguments")

    def allows(self, user) -> bool:
        return user.has_perm(f"masa.{self.permission}")

    def urlpattern(self):
        view = self.view.as_view() if isinstance(self.view, type) else self.view
        return path(self.path, requiring(f"masa.{self.permission}", view), name=self.name)


def requiring(permission: str, view):
    """``view``, refusing first a user without ``permission`` ("app_label.codename")."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return checked


def safe_next(request, fallback: str) -> str:
    """The ``next`` URL the form posted when it stays on this site, else the ``fallback`` URL name."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse(fallback)


class DaysForm(forms.Form):
    """A period of whole days, as the admin's pages ask for one."""

    since = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["since"] > cleaned["until"]:
            raise forms.ValidationError(_("the period ends before it starts"))
        return cleaned


def last_days(days: int = 30) -> dict:
    today = timezone.localdate()
    return {"since": today - timedelta(days=days - 1), "until": today}


def day_range(since: date, until: date) -> tuple[datetime, datetime]:
    """From the start of ``since`` to the end of ``until`` (inclusive), in the admin's time zone."""
    zone = timezone.get_current_timezone()
    return datetime.combine(since, time.min, tzinfo=zone), datetime.combine(until + timedelta(days=1), time.min,
                                                                            tzinfo=zone)


class MasaChooserViewSet(SnippetChooserViewSet):
    """The choosers of Masa's snippets (rules, messages, channels), for who may view them only.

    Wagtail's snippet choosers check no permission: any user of the Wagtail admin could list
    Masa's rules, the text of its messages and its channels through them. Each of their views
    here first asks for the model's ``view`` permission (both Journeys groups have it)."""

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        meta = self.model._meta
        for pattern in patterns:
            pattern.callback = requiring(f"{meta.app_label}.view_{meta.model_name}", pattern.callback)
        return patterns
