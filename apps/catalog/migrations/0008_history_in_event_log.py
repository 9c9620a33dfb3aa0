"""The history of entities is the event log (every change event keeps its after state): no table of its own."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0007_domain_text_indexes'),
    ]

    operations = [
        migrations.DeleteModel(
            name='EntityVersion',
        ),
    ]
