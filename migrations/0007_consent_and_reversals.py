"""Marketing consent is no longer assumed for new customers (existing ones keep theirs), with when and
where it was given; a scheduled action remembers the purchase that cancelled it."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0006_channel_kinds_from_backends'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='marketing_consent_at',
            field=models.DateTimeField(blank=True, help_text='When consent was given or withdrawn', null=True),
        ),
        migrations.AddField(
            model_name='customer',
            name='marketing_consent_source',
            field=models.CharField(blank=True, help_text='Where consent came from', max_length=100),
        ),
        migrations.AddField(
            model_name='scheduledaction',
            name='voided_by',
            field=models.ForeignKey(blank=True, help_text='The purchase that cancelled it (restored if that order is cancelled)', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='voided', to='masa.storeevent'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='marketing_consent',
            field=models.BooleanField(default=False, help_text="Marketing needs it; given in the store (MASA['CONSENT_METADATA_KEY']) or by an opt-in"),
        ),
    ]
