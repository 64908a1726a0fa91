"""What every Masa admin page shares: Wagtail's page chrome and a permission check."""
from django.core.exceptions import PermissionDenied
from django.urls import reverse_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class MasaPage(WagtailAdminTemplateMixin, TemplateView):
    permission = "view_rule"
    header_icon = "cogs"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(f"masa.{self.permission}"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [{"url": reverse_lazy("wagtailadmin_home"), "label": "Home"},
                {"url": "", "label": self.get_page_title()}]
