"""Channel kinds come from MASA["CHANNEL_BACKENDS"], not from field choices: a new kind needs no migration."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0005_bounded_rejections_opaque_tracking'),
    ]

    operations = [
        migrations.AlterField(
            model_name='channel',
            name='kind',
            field=models.CharField(help_text="A kind of MASA['CHANNEL_BACKENDS']: email, sms, webhook…", max_length=32),
        ),
    ]
