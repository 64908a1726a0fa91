from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from demo_store.views import jwks

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("masa/", include("masa.urls")),
    path("", include(wagtail_urls)),
]
if settings.DEMO_STORE:  # the demo store's public key, which Masa fetches to verify its signed orders
    urlpatterns.insert(-1, path(".well-known/jwks.json", jwks, name="demo-store-jwks"))
if "anymail" in settings.INSTALLED_APPS:  # the ESP's tracking webhooks (docs/deploy.md, "Email through an ESP")
    urlpatterns.insert(-1, path("anymail/", include("anymail.urls")))
