"""When each kind of worker last did a round (the first-run check reads it)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('masa', '0008_saleor_app_installs'),
    ]

    operations = [
        migrations.CreateModel(
            name='WorkerHeartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True)),
                ('seen_at', models.DateTimeField()),
            ],
        ),
    ]
