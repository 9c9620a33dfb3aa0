"""Migration scripts per schema version (up and down)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('schemas', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='MigrationScript',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('direction', models.CharField(choices=[('up', 'Up'), ('down', 'Down')], max_length=4)),
                ('language', models.CharField(default='sql', max_length=30)),
                ('body', models.TextField()),
                ('description', models.TextField(blank=True, default='')),
                ('actor', models.CharField(blank=True, default='', max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='migrations', to='schemas.subjectversion')),
            ],
            options={
                'db_table': 'dictamesh_schemas_migration',
                'ordering': ['version', 'direction', 'name'],
                'constraints': [models.UniqueConstraint(fields=('version', 'direction', 'name'), name='dictamesh_schemas_migration_unique')],
            },
        ),
    ]
