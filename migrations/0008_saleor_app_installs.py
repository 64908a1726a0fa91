"""Saleor stores that installed Masa from their dashboard (App manifest), with the token encrypted."""
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0007_consent_and_reversals'),
    ]

    operations = [
        migrations.CreateModel(
            name='SaleorApp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('domain', models.CharField(help_text='What Saleor sends as Saleor-Domain', max_length=255)),
                ('api_url', models.URLField(help_text="The store's GraphQL API", unique=True)),
                ('app_id', models.CharField(blank=True, help_text="Masa's App id in that Saleor", max_length=255)),
                ('token_encrypted', models.TextField(blank=True, editable=False)),
                ('status', models.CharField(choices=[('installed', 'Installed'), ('uninstalled', 'Uninstalled'), ('token_rejected', 'Token rejected')], default='installed', max_length=16)),
                ('installed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('status_changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'Saleor store',
                'ordering': ['domain'],
            },
        ),
    ]
