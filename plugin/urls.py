from django.urls import path

from .signals import tracking_views
from .signals.saleor_webhook import saleor_webhook

app_name = "masa"

urlpatterns = [
    path("webhooks/saleor/", saleor_webhook, name="saleor-webhook"),
    path("t/o/<str:token>.gif", tracking_views.opened, name="opened"),
    path("t/c/<str:token>", tracking_views.clicked, name="clicked"),
    path("t/u/<str:token>", tracking_views.unsubscribe, name="unsubscribe"),
]
