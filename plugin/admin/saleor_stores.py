"""The Saleor stores Masa listens to: installed from their dashboard (with status), or named in
settings; how to install; and the way in from the Saleor dashboard to a customer's timeline."""
from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import conf
from ..stores import domain_of
from ..models import Customer, SaleorApp, StoreEvent
from ..saleor import installation
from .base import AdminPage, MasaPage


class SaleorStoresView(MasaPage):
    template_name = "masa/admin/saleor_stores.html"
    header_icon = "site"

    def get_page_title(self):
        return _("Saleor stores")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = (conf.get("PUBLIC_URL") or self.request.build_absolute_uri("/")).rstrip("/")
        installed = list(SaleorApp.objects.all())
        for app in installed:
            # A stored token no key of MASA["TOKEN_ENCRYPTION_KEYS"] decrypts is said in words, not
            # shown as an installed store that quietly has no token.
            app.needs_reinstall = installation.needs_reinstall(app)
            app.status_words = _("Needs reinstall") if app.needs_reinstall else app.get_status_display()
        context.update(
            installed=installed,
            configured=[{"domain": s.get("domain", ""), "api_url": s.get("api_url", ""),
                         "has_token": bool(s.get("app_token"))} for s in conf.get("SALEOR_STORES")],
            manifest_url=f"{base}{reverse('masa:saleor-manifest')}",
            reinstall_hint=_("Masa can no longer use its access to this store (the key that protects it was "
                             "changed), so it cannot give vouchers or write to the store. Install Masa again from "
                             "the Saleor dashboard."),
            reinstall_detail=_("No key of MASA['TOKEN_ENCRYPTION_KEYS'] decrypts the stored app token: put the "
                               "old key back in the list (after the new one), or install again."),
        )
        return context


def _global_id_type(value: str) -> str:
    """``VXNlcjo0Ng==`` → ``User``: the type a Saleor global id names."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4)).decode().split(":", 1)[0]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


class FromSaleorView(MasaPage):
    """Where the dashboard's *Journeys timeline* extension lands: the customer (or the order's
    customer) Saleor names, by its id."""

    def get(self, request, *args, **kwargs):
        object_id = request.GET.get("id") or request.GET.get("customerId") or request.GET.get("orderId") or ""
        # Saleor's dashboard names its API with the link; several stores may each have a User:1.
        api_url = request.GET.get("saleorApiUrl") or request.GET.get("saleor-api-url") or ""
        customers = Customer.objects.filter(store=domain_of(api_url)) if api_url else Customer.objects.all()
        customer = None
        if _global_id_type(object_id) == "User":
            found = list(customers.filter(store_id=object_id)[:2])
            if len(found) > 1:  # several stores have this id, and the link did not say which
                return redirect(f"{reverse('masa_customers')}?q={object_id}")
            customer = found[0] if found else None
        elif _global_id_type(object_id) == "Order":
            event = (StoreEvent.objects.filter(data__order_id=object_id, customer__in=customers)
                     .select_related("customer").first())
            customer = event.customer if event else None
        if customer is None:
            messages.warning(request, _("Masa has no customer for that Saleor page yet (no event of theirs has "
                                        "arrived)."))
            return redirect("masa_customers")
        return redirect("masa_customer", pk=customer.pk)


PAGES = [AdminPage("masa/saleor/", SaleorStoresView, name="masa_saleor_stores",
                   menu_label=gettext_lazy("Saleor stores"), menu_icon="site", menu_order=560),
         AdminPage("masa/customers/from-saleor/", FromSaleorView, name="masa_customer_from_saleor")]
