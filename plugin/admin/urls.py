"""Masa's admin pages, declared once: each module of ``masa.admin`` lists its own in ``PAGES``
(``base.AdminPage``). Their URLs and the Journeys menu (``wagtail_hooks``) come from here, and the
security tests' list of pages (tests/helpers.py) from the URL configuration. The snippet view sets
(rules, messages, channels) bring their own URLs and menu items."""
import pkgutil
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured

from .base import AdminPage


def pages() -> list[AdminPage]:
    """Every module's ``PAGES``, the modules in name order."""
    package = import_module(__package__)
    modules = [import_module(found.name) for found in pkgutil.iter_modules(package.__path__, f"{__package__}.")]
    found = [page for module in modules for page in getattr(module, "PAGES", ())]
    names = [page.name for page in found]
    shared = sorted({name for name in names if names.count(name) > 1})
    if shared:
        raise ImproperlyConfigured(f"Masa admin pages share a URL name: {', '.join(shared)}")
    return found


def admin_urls():
    return [page.urlpattern() for page in pages()]


def menu_pages() -> list[AdminPage]:
    """The pages with an item in the Journeys menu, in its order."""
    return sorted((page for page in pages() if page.menu_label), key=lambda page: page.menu_order)
