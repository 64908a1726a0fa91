"""Opaque ids for tracking links (backfilled for existing deliveries); rejected webhooks counted
when repeated, with no body kept (existing rejected bodies are dropped)."""
import hashlib

from django.db import migrations, models


def backfill(apps, schema_editor):
    Delivery = apps.get_model("masa", "Delivery")
    for delivery in Delivery.objects.filter(public_id=None).only("pk", "idempotency_key").iterator(chunk_size=1000):
        # The same formula as masa.tracking.public_id (a migration does not import the app's code).
        digest = hashlib.sha256(f"masa-delivery:{delivery.idempotency_key}".encode()).hexdigest()[:32]
        Delivery.objects.filter(pk=delivery.pk).update(public_id=digest)
    InboundDelivery = apps.get_model("masa", "InboundDelivery")
    InboundDelivery.objects.filter(status="rejected").update(body="")


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0004_pack_segments'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='public_id',
            field=models.CharField(editable=False, help_text='What tracking links name (tracking.public_id of the key)', max_length=32, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='inbounddelivery',
            name='fingerprint',
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name='inbounddelivery',
            name='last_seen_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='inbounddelivery',
            name='repeats',
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name='inbounddelivery',
            name='body',
            field=models.TextField(blank=True, help_text='The exact bytes received (none kept when rejected)'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
