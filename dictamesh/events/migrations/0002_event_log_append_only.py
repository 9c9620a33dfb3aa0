from django.db import migrations

IMMUTABLE = """
CREATE OR REPLACE FUNCTION dictamesh_event_log_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dictamesh_events_event_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dictamesh_event_log_immutable
    BEFORE UPDATE OR DELETE ON dictamesh_events_event_log
    FOR EACH ROW EXECUTE FUNCTION dictamesh_event_log_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS dictamesh_event_log_immutable ON dictamesh_events_event_log;
DROP FUNCTION IF EXISTS dictamesh_event_log_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("dictamesh_events", "0001_initial")]
    operations = [migrations.RunSQL(IMMUTABLE, DROP)]
