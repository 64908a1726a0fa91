"""Where a customer's locale and time zone came from (shown on the customer page)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0009_worker_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='locale_source',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='customer',
            name='time_zone_source',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name='customer',
            name='locale',
            field=models.CharField(blank=True, help_text="e.g. he, en-us: picks a template's text", max_length=16),
        ),
        migrations.AlterField(
            model_name='customer',
            name='time_zone',
            field=models.CharField(blank=True, help_text="An IANA name; empty: the site's", max_length=64),
        ),
    ]
