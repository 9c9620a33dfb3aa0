"""Governance keeps each entity's sensitive property paths and PII categories: the search index leaves out
every top-level property that holds a sensitive path (a masked value must not be findable)."""

import django.contrib.postgres.fields
from django.db import migrations, models

FUNCTION = r"""
ALTER TABLE dictamesh_catalog_entity ALTER COLUMN sensitive_fields SET DEFAULT '{}';
ALTER TABLE dictamesh_catalog_entity ALTER COLUMN pii_categories SET DEFAULT '{}';

CREATE OR REPLACE FUNCTION dictamesh_catalog_searchable(doc jsonb, paths varchar[]) RETURNS jsonb AS $$
    SELECT CASE WHEN paths IS NULL OR cardinality(paths) = 0 THEN coalesce(doc, '{}'::jsonb)
                ELSE coalesce(doc, '{}'::jsonb) - ARRAY(SELECT split_part(p, '.', 1) FROM unnest(paths) p) END
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION dictamesh_catalog_entity_tsv() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '') || ' ' || coalesce(NEW.display_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B')
        || setweight(to_tsvector('english',
               regexp_replace(array_to_string(NEW.tags, ' '), '[._:/-]', ' ', 'g')), 'C')
        || setweight(jsonb_to_tsvector('english',
               dictamesh_catalog_searchable(NEW.properties, NEW.sensitive_fields), '["string"]'), 'C')
        || setweight(to_tsvector('simple', replace(NEW.entity_type, '_', ' ')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS dictamesh_catalog_entity_tsv_trg ON dictamesh_catalog_entity;
CREATE TRIGGER dictamesh_catalog_entity_tsv_trg
    BEFORE INSERT OR UPDATE OF name, display_name, description, tags, properties, entity_type, sensitive_fields
    ON dictamesh_catalog_entity
    FOR EACH ROW EXECUTE FUNCTION dictamesh_catalog_entity_tsv();
"""

REVERSE = r"""
CREATE OR REPLACE FUNCTION dictamesh_catalog_entity_tsv() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '') || ' ' || coalesce(NEW.display_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B')
        || setweight(to_tsvector('english',
               regexp_replace(array_to_string(NEW.tags, ' '), '[._:/-]', ' ', 'g')), 'C')
        || setweight(jsonb_to_tsvector('english', coalesce(NEW.properties, '{}'::jsonb), '["string"]'), 'C')
        || setweight(to_tsvector('simple', replace(NEW.entity_type, '_', ' ')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS dictamesh_catalog_entity_tsv_trg ON dictamesh_catalog_entity;
CREATE TRIGGER dictamesh_catalog_entity_tsv_trg
    BEFORE INSERT OR UPDATE OF name, display_name, description, tags, properties, entity_type
    ON dictamesh_catalog_entity
    FOR EACH ROW EXECUTE FUNCTION dictamesh_catalog_entity_tsv();
DROP FUNCTION IF EXISTS dictamesh_catalog_searchable(jsonb, varchar[]);
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_history_in_event_log")]

    operations = [
        migrations.AddField(
            model_name="entity",
            name="sensitive_fields",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=300), blank=True, default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="entity",
            name="pii_categories",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=30), blank=True, default=list, editable=False, size=None
            ),
        ),
        migrations.RunSQL(FUNCTION, REVERSE),
        migrations.AddIndex(
            model_name="entity",
            index=models.Index(
                condition=models.Q(("schema_subject", ""), _negated=True),
                fields=["schema_subject"],
                name="dictamesh_cat_entity_subj_idx",
            ),
        ),
    ]
