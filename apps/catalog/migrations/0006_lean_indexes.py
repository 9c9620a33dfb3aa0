"""Drop indexes that others already cover: every bulk insert maintained them for nothing."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_drop_name_trigram_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='entityversion',
            name='dictamesh_cat_version_at_idx',
        ),
        migrations.AlterField(
            model_name='entity',
            name='domain',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entities', to='catalog.domain'),
        ),
        migrations.AlterField(
            model_name='entity',
            name='source',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entities', to='catalog.sourcesystem'),
        ),
        # the URN's unique index stays (renamed, no rebuild); only Django's extra LIKE index goes
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='entity',
                    name='urn',
                    field=models.CharField(max_length=512),
                ),
                migrations.AddConstraint(
                    model_name='entity',
                    constraint=models.UniqueConstraint(fields=('urn',), name='dictamesh_cat_entity_urn_unique'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS dictamesh_catalog_entity_urn_2cbda3fd_like;"
                    " ALTER TABLE dictamesh_catalog_entity RENAME CONSTRAINT dictamesh_catalog_entity_urn_key"
                    " TO dictamesh_cat_entity_urn_unique",
                    reverse_sql="ALTER TABLE dictamesh_catalog_entity RENAME CONSTRAINT dictamesh_cat_entity_urn_unique"
                    " TO dictamesh_catalog_entity_urn_key; CREATE INDEX dictamesh_catalog_entity_urn_2cbda3fd_like"
                    " ON dictamesh_catalog_entity (urn varchar_pattern_ops)",
                ),
            ],
        ),
        migrations.AlterField(
            model_name='entityowner',
            name='entity',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='owners', to='catalog.entity'),
        ),
    ]
