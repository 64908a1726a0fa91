"""A staff note may carry a reminder to one staff member: who, when, and when they marked it done."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0019_customer_store_identity'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='customernote',
            name='remind',
            field=models.ForeignKey(blank=True, help_text='Who is reminded', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='masa_reminders', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='customernote',
            name='remind_at',
            field=models.DateTimeField(blank=True, help_text='When the reminder shows', null=True),
        ),
        migrations.AddField(
            model_name='customernote',
            name='reminder_done_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
