"""The Saleor stores Masa listens to: installed from their dashboard (with status), or named in
settings; how to install; and the way in from the Saleor dashboard to a customer's timeline."""
from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse

from .. import conf
from ..models import Customer, SaleorApp, StoreEvent
from .base import MasaPage


class SaleorStoresView(MasaPage):
    template_name = "masa/admin/saleor_stores.html"
    header_icon = "site"

    def get_page_title(self):
        return "Saleor stores"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = (conf.get("PUBLIC_URL") or self.request.build_absolute_uri("/")).rstrip("/")
        context.update(
            installed=SaleorApp.objects.all(),
            configured=[{"domain": s.get("domain", ""), "api_url": s.get("api_url", ""),
                         "has_token": bool(s.get("app_token"))} for s in conf.get("SALEOR_STORES")],
            manifest_url=f"{base}{reverse('masa:saleor-manifest')}",
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
        customer = None
        if _global_id_type(object_id) == "User":
            customer = Customer.objects.filter(store_id=object_id).first()
        elif _global_id_type(object_id) == "Order":
            event = (StoreEvent.objects.filter(data__order_id=object_id).exclude(customer=None)
                     .select_related("customer").first())
            customer = event.customer if event else None
        if customer is None:
            messages.warning(request, "Masa has no customer for that Saleor page yet (no event of theirs has arrived).")
            return redirect("masa_customers")
        return redirect("masa_customer", pk=customer.pk)


def saleor_urls():
    return [path("masa/saleor/", SaleorStoresView.as_view(), name="masa_saleor_stores"),
            path("masa/customers/from-saleor/", FromSaleorView.as_view(), name="masa_customer_from_saleor")]
