"""What every Masa admin page shares: Wagtail's page chrome, a permission check, and the object
a page is about, looked up from its URL (``object_model``, stored as ``object_name``)."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
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
