from django.urls import path

from .feedback import views as tracking_views
from .health import health_view
from .metrics import metrics_view
from .signals import saleor_app
from .signals.saleor_webhook import saleor_webhook
from .signals.sms_webhook import sms_webhook
from .signals.whatsapp_webhook import whatsapp_webhook

app_name = "masa"

urlpatterns = [
    path("webhooks/saleor/", saleor_webhook, name="saleor-webhook"),
    path("webhooks/whatsapp/<int:channel_id>/", whatsapp_webhook, name="whatsapp-webhook"),
    path("webhooks/sms/<int:channel_id>/", sms_webhook, name="sms-webhook"),
    path("health/", health_view, name="health"),
    path("metrics/", metrics_view, name="metrics"),
    path("saleor/manifest/", saleor_app.manifest, name="saleor-manifest"),
    path("saleor/register/", saleor_app.register, name="saleor-register"),
    path("t/o/<str:token>.gif", tracking_views.opened, name="opened"),
    path("t/c/<str:token>", tracking_views.clicked, name="clicked"),
    path("t/u/<str:token>", tracking_views.unsubscribe, name="unsubscribe"),
    path("t/v/<str:token>", tracking_views.view, name="view"),
    path("t/a/<str:token>", tracking_views.answer, name="answer"),
    path("t/l/<str:token>/<slug:name>", tracking_views.join_list, name="join-list"),
    path("t/i/<str:token>", tracking_views.opt_in, name="opt-in"),
]
