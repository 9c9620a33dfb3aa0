"""The schema registry: schemas with global ids, subjects and versions, references, settings."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Config',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(blank=True, max_length=255, unique=True)),
                ('compatibility', models.CharField(blank=True, choices=[('BACKWARD', 'Backward'), ('BACKWARD_TRANSITIVE', 'Backward Transitive'), ('FORWARD', 'Forward'), ('FORWARD_TRANSITIVE', 'Forward Transitive'), ('FULL', 'Full'), ('FULL_TRANSITIVE', 'Full Transitive'), ('NONE', 'None')], max_length=30, null=True)),
                ('mode', models.CharField(blank=True, choices=[('READWRITE', 'Readwrite'), ('READONLY', 'Readonly'), ('IMPORT', 'Import')], max_length=10, null=True)),
                ('extra', models.JSONField(blank=True, default=dict)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'db_table': 'dictamesh_schemas_config',
            },
        ),
        migrations.CreateModel(
            name='Schema',
            fields=[
                ('id', models.IntegerField(primary_key=True, serialize=False)),
                ('guid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('schema_type', models.CharField(choices=[('AVRO', 'Avro'), ('JSON', 'Json'), ('PROTOBUF', 'Protobuf'), ('GRAPHQL', 'Graphql')], default='AVRO', max_length=10)),
                ('text', models.TextField()),
                ('references', models.JSONField(blank=True, default=list)),
                ('metadata', models.JSONField(blank=True, null=True)),
                ('rule_set', models.JSONField(blank=True, null=True)),
                ('fingerprint', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'db_table': 'dictamesh_schemas_schema',
            },
        ),
        migrations.CreateModel(
            name='Subject',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=255, unique=True)),
                ('last_version', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'db_table': 'dictamesh_schemas_subject',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Reference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=500)),
                ('subject', models.CharField(max_length=255)),
                ('version', models.PositiveIntegerField()),
                ('schema', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reference_rows', to='schemas.schema')),
            ],
            options={
                'db_table': 'dictamesh_schemas_reference',
                'indexes': [models.Index(fields=['subject', 'version'], name='dictamesh_schemas_ref_to_idx')],
                'constraints': [models.UniqueConstraint(fields=('schema', 'name'), name='dictamesh_schemas_reference_unique')],
            },
        ),
        migrations.CreateModel(
            name='SubjectVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor', models.CharField(blank=True, default='', max_length=200)),
                ('schema', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='schemas.schema')),
                ('subject', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='schemas.subject')),
            ],
            options={
                'db_table': 'dictamesh_schemas_version',
                'ordering': ['subject', 'version'],
                'indexes': [models.Index(fields=['schema'], name='dictamesh_schemas_ver_sch_idx')],
                'constraints': [models.UniqueConstraint(fields=('subject', 'version'), name='dictamesh_schemas_version_unique')],
            },
        ),
    ]
