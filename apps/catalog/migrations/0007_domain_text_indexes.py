"""Full-text indexes that also hold the domain (btree_gin).

A search in one domain used to read every match of its words and drop the other domains' rows on the heap:
for a common word at 1M entities, thousands of rows to keep 500. With the domain inside the GIN index, the
index intersects both and the heap sees only the rows kept. Queries without a domain use the same indexes.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

NAME_INDEX = (
    "CREATE INDEX IF NOT EXISTS dictamesh_cat_entity_dname_idx ON dictamesh_catalog_entity"
    " USING gin (domain_id, to_tsvector('english'::regconfig, name || ' ' || display_name))"
)
OLD_NAME_INDEX = (
    "CREATE INDEX IF NOT EXISTS dictamesh_cat_entity_name_idx ON dictamesh_catalog_entity"
    " USING gin (to_tsvector('english'::regconfig, name || ' ' || display_name))"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_lean_indexes")]

    operations = [
        BtreeGinExtension(),
        migrations.RemoveIndex(model_name="entity", name="dictamesh_cat_entity_tsv_idx"),
        migrations.AddIndex(
            model_name="entity",
            index=GinIndex(fields=["domain", "search_vector"], name="dictamesh_cat_entity_dtsv_idx"),
        ),
        migrations.RunSQL(
            ["DROP INDEX IF EXISTS dictamesh_cat_entity_name_idx", NAME_INDEX],
            ["DROP INDEX IF EXISTS dictamesh_cat_entity_dname_idx", OLD_NAME_INDEX],
        ),
    ]
