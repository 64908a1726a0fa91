from django.urls import path

from .signals.saleor_webhook import saleor_webhook

app_name = "masa"

urlpatterns = [
    path("webhooks/saleor/", saleor_webhook, name="saleor-webhook"),
]
