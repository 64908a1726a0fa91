from django.apps import AppConfig


class DemoStoreConfig(AppConfig):
    name = "demo_store"
    verbose_name = "Demo store (plays a Saleor for the demo)"
