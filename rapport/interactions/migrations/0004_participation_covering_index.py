# The timeline index also covers the interaction: a long history is read from the index.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('interactions', '0003_signal'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='participation',
            name='interaction_person__ba2015_idx',
        ),
        migrations.AddIndex(
            model_name='participation',
            index=models.Index(fields=['person', '-occurred_at', 'interaction'], name='participation_person_time'),
        ),
    ]
