"""A counter of global schema ids: ids are never reused, also after permanent deletes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('schemas', '0002_migration_scripts'),
    ]

    operations = [
        migrations.CreateModel(
            name='Counter',
            fields=[
                ('name', models.CharField(max_length=50, primary_key=True, serialize=False)),
                ('value', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'dictamesh_schemas_counter',
            },
        ),
    ]
