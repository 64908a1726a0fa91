"""What every Masa admin page shares: Wagtail's page chrome, a permission check, and the object
a page is about, looked up from its URL (``object_model``, stored as ``object_name``)."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class MasaPage(WagtailAdminTemplateMixin, TemplateView):
    permission = "view_rule"
    header_icon = "cogs"
    object_model = None
    object_name = "object"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(f"masa.{self.permission}"):
            raise PermissionDenied
        if self.object_model is not None:
            setattr(self, self.object_name, get_object_or_404(self.object_model, **kwargs))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [{"url": reverse_lazy("wagtailadmin_home"), "label": "Home"},
                {"url": "", "label": self.get_page_title()}]


def safe_next(request, fallback: str) -> str:
    """The ``next`` URL the form posted when it stays on this site, else the ``fallback`` URL name."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse(fallback)
