"""Keep ``search_vector`` current: name and display name weigh most (A), then description (B),
then tags and string property values (C), then the entity type (D)."""

from django.db import migrations

FUNCTION = r"""
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

CREATE TRIGGER dictamesh_catalog_entity_tsv_trg
    BEFORE INSERT OR UPDATE OF name, display_name, description, tags, properties, entity_type
    ON dictamesh_catalog_entity
    FOR EACH ROW EXECUTE FUNCTION dictamesh_catalog_entity_tsv();
"""

REVERSE = """
DROP TRIGGER IF EXISTS dictamesh_catalog_entity_tsv_trg ON dictamesh_catalog_entity;
DROP FUNCTION IF EXISTS dictamesh_catalog_entity_tsv();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
