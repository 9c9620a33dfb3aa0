"""A page of one domain read in URN order from an index, instead of sorting the whole domain (and deciding
on each of its rows) first. The (domain, type) index it replaces served nothing the new one does not."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0009_sensitive_fields'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='entity',
            name='dictamesh_cat_entity_dom_idx',
        ),
        migrations.AddIndex(
            model_name='entity',
            index=models.Index(fields=['domain', 'urn'], name='dictamesh_cat_entity_durn_idx'),
        ),
    ]
