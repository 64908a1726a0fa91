"""Masa's admin pages are declared once: an ``AdminPage`` in its module's ``PAGES`` (admin/base.py,
collected by admin/urls.py). A throw-away module declaring pages that way gets their URLs, their
items in the Journeys menu, their permissions and their place in the security tests' list of pages,
with nothing else written anywhere."""
import importlib
import importlib.util
import sys
import types

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import URLResolver, reverse
from wagtail.admin.menu import admin_menu
from wagtail.admin.viewsets import viewsets

import masa.admin
from masa.admin.base import AdminPage
from masa.admin.results import ResultsView

from ..helpers import denied, editor, masa_admin_patterns, viewer

THROWAWAY = '''
from django.http import HttpResponse

from masa.admin.base import AdminPage, MasaPage


class ThrowawayView(MasaPage):
    page_title = "Throwaway page"


def throwaway_action(request):
    return HttpResponse("done")     # it checks nothing itself: its declaration does


PAGES = [
    AdminPage("masa/throwaway/", ThrowawayView, name="masa_throwaway",
              menu_label="Throwaway", menu_icon="cogs", menu_order=555),
    AdminPage("masa/throwaway/editors/", throwaway_action, name="masa_throwaway_editors", permission="change_rule",
              menu_label="Throwaway for editors", menu_icon="cogs", menu_order=575),
    AdminPage("masa/throwaway/quiet/", ThrowawayView, name="masa_throwaway_quiet"),
]
'''
URLCONF = "tests.admin.throwaway_urlconf"


def _site_urls_built_again(site_urlconf: str, monkeypatch) -> types.ModuleType:
    """The site's URL configuration with Wagtail's admin URLs built again (Wagtail asks the
    ``register_admin_urls`` hooks once, when ``wagtail.admin.urls`` is first imported; its view
    sets, registered then, are not registered twice)."""
    reverse("wagtailadmin_home")
    monkeypatch.setattr(viewsets, "populate", lambda: None)
    spec = importlib.util.find_spec("wagtail.admin.urls")
    admin_urls = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(admin_urls)
    imported = sys.modules["wagtail.admin.urls"]
    urlconf = types.ModuleType(URLCONF)
    urlconf.urlpatterns = [
        URLResolver(p.pattern, admin_urls, p.default_kwargs, p.app_name, p.namespace)
        if isinstance(p, URLResolver) and p.urlconf_name is imported else p
        for p in importlib.import_module(site_urlconf).urlpatterns
    ]
    assert any(getattr(p, "urlconf_name", None) is admin_urls for p in urlconf.urlpatterns)
    return urlconf


@pytest.fixture
def throwaway_pages(db, tmp_path, monkeypatch, settings):
    """``masa.admin.throwaway`` (a file in a folder added to the package's path) declares three pages;
    the site's URLs and the admin menu are built again, as a new process would build them."""
    (tmp_path / "throwaway.py").write_text(THROWAWAY)
    monkeypatch.setattr(masa.admin, "__path__", [*masa.admin.__path__, str(tmp_path)])
    importlib.invalidate_caches()
    monkeypatch.setitem(sys.modules, URLCONF, _site_urls_built_again(settings.ROOT_URLCONF, monkeypatch))
    settings.ROOT_URLCONF = URLCONF
    admin_menu.registered_menu_items  # noqa: B018 (built, so that the one built next is put back)
    monkeypatch.delitem(admin_menu.__dict__, "registered_menu_items")
    yield
    sys.modules.pop("masa.admin.throwaway", None)
    if hasattr(masa.admin, "throwaway"):
        delattr(masa.admin, "throwaway")


def outsider() -> User:
    """A Wagtail user outside the Journeys groups."""
    user = User.objects.create_user("olga", "olga@shop.example", "x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


def journeys_menu(user) -> list[tuple[str, str, str]]:
    """The Journeys menu as the admin shows it to ``user``: (label, URL, icon), in order."""
    reverse("wagtailadmin_home")  # the URLs first, as a request has them: they register the menu's view sets
    request = RequestFactory().get("/admin/")
    request.user = user
    journeys = [item for item in admin_menu.menu_items_for_request(request) if item.name == "journeys"]
    if not journeys:
        return []
    shown = sorted(journeys[0].menu.menu_items_for_request(request), key=lambda item: item.order)
    return [(item.label, str(item.url), item.icon_name) for item in shown]


def labels(user) -> list[str]:
    return [label for label, _, _ in journeys_menu(user)]


JOURNEYS_MENU = [
    ("Rules", "/admin/snippets/masa/rule/", "cogs"),
    ("Messages", "/admin/snippets/masa/messagetemplate/", "doc-full"),
    ("Channels", "/admin/snippets/masa/channel/", "mail"),
    ("Rule packs", "/admin/masa/packs/", "folder-open-inverse"),
    ("Pack subscriptions", "/admin/masa/packs/subscriptions/", "folder-open-inverse"),
    ("Customers", "/admin/masa/customers/", "user"),
    ("Results", "/admin/masa/results/", "doc-full"),
    ("Broadcasts", "/admin/masa/broadcasts/", "mail"),
    ("Needs attention", "/admin/masa/failures/", "warning"),
    ("Saleor stores", "/admin/masa/saleor/", "site"),
    ("Background jobs", "/admin/masa/jobs/", "time"),
]


def test_the_journeys_menu_shows_masas_pages_in_their_order(db):
    assert journeys_menu(editor()) == JOURNEYS_MENU
    assert journeys_menu(viewer()) == JOURNEYS_MENU[:-1], "background jobs are for editors"
    assert journeys_menu(outsider()) == []


def test_a_declared_page_has_its_url(client, throwaway_pages):
    assert reverse("masa_throwaway") == "/admin/masa/throwaway/"
    assert reverse("masa_throwaway_editors") == "/admin/masa/throwaway/editors/"
    client.force_login(editor())
    page = client.get("/admin/masa/throwaway/")
    assert page.status_code == 200 and "Throwaway page" in page.content.decode()
    assert client.get("/admin/masa/throwaway/editors/").content == b"done"
    assert client.get("/admin/masa/throwaway/quiet/").status_code == 200


def test_a_declared_menu_item_is_in_the_journeys_menu_for_who_may_open_the_page(client, throwaway_pages):
    edna, victor = editor(), viewer()
    assert labels(edna) == ["Rules", "Messages", "Channels", "Rule packs", "Pack subscriptions", "Customers", "Results",
                            "Broadcasts", "Needs attention", "Throwaway", "Saleor stores", "Background jobs", "Throwaway for editors"]
    assert ("Throwaway", "/admin/masa/throwaway/", "cogs") in journeys_menu(edna)
    assert "Throwaway" in labels(victor) and "Throwaway for editors" not in labels(victor)
    assert journeys_menu(outsider()) == []
    client.force_login(edna)
    assert "Throwaway for editors" in client.get("/admin/").content.decode(), "the sidebar shows it"


def test_a_declared_pages_permission_is_enforced(client, throwaway_pages):
    client.force_login(outsider())
    for url in ("/admin/masa/throwaway/", "/admin/masa/throwaway/editors/", "/admin/masa/throwaway/quiet/"):
        assert denied(client.get(url)), url
    client.force_login(viewer())
    assert client.get("/admin/masa/throwaway/").status_code == 200
    assert denied(client.get("/admin/masa/throwaway/editors/")), "editor-only: the declaration says so"


def test_a_declared_page_is_in_the_security_tests_list_of_pages(throwaway_pages, every_page):
    assert {"masa_throwaway", "masa_throwaway_editors", "masa_throwaway_quiet"} <= {n for n, _ in masa_admin_patterns()}
    assert {("masa_throwaway", "/admin/masa/throwaway/"),
            ("masa_throwaway_editors", "/admin/masa/throwaway/editors/")} <= set(every_page)


def test_a_page_declares_a_masa_url_name_and_the_permission_it_needs():
    assert AdminPage("masa/results/", ResultsView, name="masa_results").permission == "view_rule"
    with pytest.raises(ImproperlyConfigured, match="starts with masa_"):
        AdminPage("masa/results/", ResultsView, name="results")
    with pytest.raises(ImproperlyConfigured, match="permission"):
        AdminPage("masa/ping/", lambda request: None, name="masa_ping")
    with pytest.raises(ImproperlyConfigured, match="no arguments"):
        AdminPage("masa/results/<int:pk>/", ResultsView, name="masa_result", menu_label="Result")
