"""dictamesh_lineage_apply(ev, now): an OpenLineage event applied in one round trip (apps/lineage/sql/apply.sql).

The file is read when the migration runs; a later change to the function comes with a migration of its own
that runs it again (CREATE OR REPLACE)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "apply.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("lineage", "0001_initial")]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DROP FUNCTION IF EXISTS dictamesh_lineage_apply(jsonb, timestamptz)"),
    ]
