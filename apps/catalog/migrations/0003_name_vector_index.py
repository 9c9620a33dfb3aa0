"""A full-text index on names alone: relevance ranking looks at name matches first (apps/catalog/search.py)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS dictamesh_cat_entity_name_idx ON dictamesh_catalog_entity"
    " USING gin (to_tsvector('english'::regconfig, name || ' ' || display_name))"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_vector_trigger")]

    operations = [migrations.RunSQL(CREATE, "DROP INDEX IF EXISTS dictamesh_cat_entity_name_idx")]
