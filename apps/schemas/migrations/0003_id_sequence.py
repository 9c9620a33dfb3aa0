"""Global schema ids come from a sequence: never reused, also after permanent deletes; no lock to hold."""

from django.db import migrations

CREATE = """
CREATE SEQUENCE IF NOT EXISTS dictamesh_schemas_schema_id_seq;
SELECT setval('dictamesh_schemas_schema_id_seq', GREATEST((SELECT coalesce(max(id), 0) FROM dictamesh_schemas_schema), 1),
              (SELECT count(*) > 0 FROM dictamesh_schemas_schema));
"""


class Migration(migrations.Migration):
    dependencies = [("schemas", "0002_migration_scripts")]

    operations = [migrations.RunSQL(CREATE, "DROP SEQUENCE IF EXISTS dictamesh_schemas_schema_id_seq")]
