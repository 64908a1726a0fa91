"""A customer is (store, Saleor id): the store each existing customer's webhooks came from is
filled in, so single-store data keeps every customer; Saleor events' source ids are prefixed with
their store, as new ones are; customers a store deleted are remembered by a digest of their id."""
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat

def _key(domain):
    return (domain or "").strip().lower()


def fill_stores(apps, schema_editor):
    Customer = apps.get_model("masa", "Customer")
    StoreEvent = apps.get_model("masa", "StoreEvent")
    SaleorApp = apps.get_model("masa", "SaleorApp")
    latest = {}
    rows = (StoreEvent.objects.exclude(inbound=None).exclude(customer=None).exclude(inbound__domain="")
            .order_by("customer_id", "-pk").values_list("customer_id", "inbound__domain"))
    for customer_id, domain in rows.iterator(chunk_size=2000):
        latest.setdefault(customer_id, _key(domain))
    known = {_key(domain) for domain in SaleorApp.objects.values_list("domain", flat=True)}
    known |= {_key(store.get("domain")) for store in getattr(settings, "MASA", {}).get("SALEOR_STORES", [])}
    known.discard("")
    only_store = next(iter(known)) if len(known) == 1 else ""
    if only_store:
        for pk in Customer.objects.exclude(store_id=None).values_list("pk", flat=True):
            latest.setdefault(pk, only_store)
    by_store = {}
    for pk, store in latest.items():
        by_store.setdefault(store, []).append(pk)
    for store, ids in by_store.items():
        for start in range(0, len(ids), 500):
            Customer.objects.filter(pk__in=ids[start:start + 500]).update(store=store)
    domains = set(StoreEvent.objects.filter(source="saleor").exclude(inbound=None)
                  .values_list("inbound__domain", flat=True).distinct())
    for domain in domains:
        if _key(domain):
            StoreEvent.objects.filter(source="saleor", inbound__domain=domain).update(
                source_id=Concat(Value(f"{_key(domain)}/"), F("source_id")))


def unfill_source_ids(apps, schema_editor):
    StoreEvent = apps.get_model("masa", "StoreEvent")
    for event in StoreEvent.objects.filter(source="saleor", source_id__contains="/").only("pk", "source_id"):
        StoreEvent.objects.filter(pk=event.pk).update(source_id=event.source_id.split("/", 1)[1])


class Migration(migrations.Migration):

    dependencies = [
        ("masa", "0018_holdouts_and_splits"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="store",
            field=models.CharField(blank=True, default="", max_length=255, help_text="The Saleor store the customer belongs to (its domain, lower case); empty: the site's own in-process store (Django signals). A customer is (store, store id): two stores are two customers."),
        ),
        migrations.AlterField(
            model_name="customer",
            name="store_id",
            field=models.CharField(blank=True, help_text="The customer's id in the store (a Saleor User id); empty for guests.", max_length=255, null=True),
        ),
        migrations.RunPython(fill_stores, unfill_source_ids),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(fields=("store", "store_id"), name="masa_customer_store_identity"),
        ),
        migrations.CreateModel(
            name="DeletedStoreCustomer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("store", models.CharField(max_length=255)),
                ("store_id_digest", models.CharField(max_length=64)),
                ("deleted_at", models.DateTimeField(help_text="When the store deleted them (the deletion's issuedAt)")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("store", "store_id_digest"), name="masa_deleted_customer")],
            },
        ),
    ]
