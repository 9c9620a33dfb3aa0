-- dictamesh_lineage_apply(ev, now): one OpenLineage event, normalised by apps/lineage/services.py, applied in
-- one round trip. ev = {
--   digest, kind, event_type, event_time, run_id, producer, payload,
--   namespaces: [name],                                  -- every namespace named, sorted
--   nodes: [{k, ns, name}],                              -- every node named (kind, namespace, name), sorted
--   job: key | null,                     -- node keys: kind, namespace, name joined by chr(31) (never in names)
--   updates: [{key, facets, description, source_name, job_type, catalog}],   -- nodes whose facets came
--   schemas: [{key, fields: [{name, type, description}]}],                     -- datasets with a schema facet
--   edges: [[source key, target key]], inputs: [key], outputs: [key],
--   run: {state, facets, nominal_start, nominal_end, parent} | null,
--   columns: [{okey, out_field, ikey, in_field, type, subtype, description, masking}] }
-- Returns {status: stored | duplicate, created: [node id], catalog: [node id], run_state}.
-- Rows are locked in one order (namespaces, nodes, then node rows by id): concurrent events never deadlock
-- on them. A run id used by another job raises SQLSTATE DMRUN.
CREATE OR REPLACE FUNCTION dictamesh_lineage_apply(ev jsonb, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_event bigint;
    v_ids jsonb;
    v_created bigint[];
    v_catalog bigint[] := '{}';
    v_job bigint;
    v_run dictamesh_lineage_run%ROWTYPE;
    v_fresh boolean := false;
    v_state text;
    v_time timestamptz;
    v_rank int;
    v_current int;
    r record;
    v_cur jsonb;
    v_version int;
BEGIN
    INSERT INTO dictamesh_lineage_event (digest, kind, event_type, event_time, run_id, producer, payload, received_at)
    VALUES (ev->>'digest', ev->>'kind', ev->>'event_type', (ev->>'event_time')::timestamptz,
            (ev->>'run_id')::uuid, ev->>'producer', ev->'payload', p_now)
    ON CONFLICT (digest) DO NOTHING RETURNING id INTO v_event;
    IF v_event IS NULL THEN
        RETURN jsonb_build_object('status', 'duplicate');
    END IF;

    INSERT INTO dictamesh_lineage_namespace (name, description, owner, created_at, updated_at)
    SELECT n, '', '', p_now, p_now FROM jsonb_array_elements_text(ev->'namespaces') AS n ORDER BY 1
    ON CONFLICT (name) DO NOTHING;

    WITH wanted AS (
        SELECT x.k, s.id AS ns, x.name FROM jsonb_to_recordset(ev->'nodes') AS x(k text, ns text, name text)
        JOIN dictamesh_lineage_namespace s ON s.name = x.ns
    ), ins AS (
        INSERT INTO dictamesh_lineage_node (kind, namespace_id, name, entity_urn, description, source_name, job_type,
                                            facets, version, created_at, updated_at)
        SELECT k, ns, name, '', '', '', '', '{}'::jsonb, 0, p_now, p_now FROM wanted ORDER BY k, ns, name
        ON CONFLICT (kind, namespace_id, name) DO NOTHING RETURNING id
    )
    SELECT coalesce(array_agg(id), '{}') INTO v_created FROM ins;

    SELECT jsonb_object_agg(x.k || chr(31) || x.ns || chr(31) || x.name, (
               SELECT n.id FROM dictamesh_lineage_node n
               WHERE n.kind = x.k AND n.name = x.name
                 AND n.namespace_id = (SELECT s.id FROM dictamesh_lineage_namespace s WHERE s.name = x.ns)))
    INTO v_ids FROM jsonb_to_recordset(ev->'nodes') AS x(k text, ns text, name text);  -- index lookups, one a node
    v_job := (v_ids->>(ev->>'job'))::bigint;

    -- facets, node by node in id order (the lock order of every writer): merged when they bring something
    -- new; a dataset whose catalog-facing facets change is noted for the catalog
    FOR r IN SELECT (v_ids->>u.key)::bigint AS id, u.facets, u.description, u.source_name, u.job_type, u.catalog
             FROM jsonb_to_recordset(ev->'updates') AS u(key text, facets jsonb, description text, source_name text,
                                                          job_type text, catalog boolean)
             ORDER BY 1 LOOP
        SELECT facets INTO v_cur FROM dictamesh_lineage_node WHERE id = r.id FOR UPDATE;
        CONTINUE WHEN v_cur @> r.facets;
        IF r.catalog AND (
            (r.facets ? 'documentation' AND r.facets->'documentation' IS DISTINCT FROM v_cur->'documentation')
            OR (r.facets ? 'ownership' AND r.facets->'ownership' IS DISTINCT FROM v_cur->'ownership')
            OR (r.facets ? 'dataSource' AND r.facets->'dataSource' IS DISTINCT FROM v_cur->'dataSource')) THEN
            v_catalog := v_catalog || r.id;
        END IF;
        UPDATE dictamesh_lineage_node SET facets = facets || r.facets, updated_at = p_now,
            description = coalesce(r.description, description), source_name = coalesce(r.source_name, source_name),
            job_type = coalesce(r.job_type, job_type)
        WHERE id = r.id;
    END LOOP;

    -- schema facets (their datasets are locked above: a schema is a facet): fields added, changed, removed, and
    -- a new dataset version when any changed
    FOR r IN SELECT (v_ids->>s.key)::bigint AS id, s.fields
             FROM jsonb_to_recordset(ev->'schemas') AS s(key text, fields jsonb) ORDER BY 1 LOOP
        SELECT coalesce(jsonb_agg(jsonb_build_object('name', f.name, 'type', f.type, 'description', f.description)
                                  ORDER BY f.ordinal, f.name), '[]'::jsonb)
        INTO v_cur FROM dictamesh_lineage_field f WHERE f.dataset_id = r.id AND f.removed_at IS NULL;
        CONTINUE WHEN v_cur = r.fields;
        INSERT INTO dictamesh_lineage_field (dataset_id, name, type, description, ordinal, removed_at, created_at,
                                             updated_at)
        SELECT r.id, f.name, f.type, f.description, f.ord - 1, NULL, p_now, p_now
        FROM ROWS FROM (jsonb_to_recordset(r.fields) AS (name text, type text, description text))
             WITH ORDINALITY AS f(name, type, description, ord)
        ON CONFLICT (dataset_id, name) DO UPDATE SET type = EXCLUDED.type, description = EXCLUDED.description,
            ordinal = EXCLUDED.ordinal, removed_at = NULL, updated_at = p_now;
        UPDATE dictamesh_lineage_field SET removed_at = p_now, updated_at = p_now
        WHERE dataset_id = r.id AND removed_at IS NULL
          AND name NOT IN (SELECT f->>'name' FROM jsonb_array_elements(r.fields) AS f);
        UPDATE dictamesh_lineage_node SET version = version + 1 WHERE id = r.id RETURNING version INTO v_version;
        INSERT INTO dictamesh_lineage_dataset_version (dataset_id, version, run_id, fields, created_at)
        VALUES (r.id, v_version, (ev->>'run_id')::uuid, r.fields, p_now);
        v_catalog := v_catalog || r.id;
    END LOOP;

    -- edges: dataset -> job (reads), job -> dataset (writes)
    INSERT INTO dictamesh_lineage_edge (source_id, target_id, provenance, confidence, note, created_by, created_at,
                                        last_seen_at)
    SELECT (v_ids->>(e->>0))::bigint, (v_ids->>(e->>1))::bigint, 'openlineage', 1, '', '', p_now, p_now
    FROM jsonb_array_elements(ev->'edges') AS e ORDER BY 1, 2
    ON CONFLICT (source_id, target_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
    WHERE dictamesh_lineage_edge.last_seen_at < EXCLUDED.last_seen_at - interval '1 minute';

    -- the run: a terminal state wins whatever the arrival order, else the later event time
    IF ev->'run' IS NOT NULL AND jsonb_typeof(ev->'run') = 'object' THEN
        v_state := ev->'run'->>'state';
        v_time := (ev->>'event_time')::timestamptz;
        INSERT INTO dictamesh_lineage_run (run_id, job_id, state, state_time, started_at, ended_at, nominal_start,
                                           nominal_end, parent_run_id, facets, created_at, updated_at)
        VALUES ((ev->>'run_id')::uuid, v_job, v_state, v_time,
                CASE WHEN v_state = 'START' THEN v_time END,
                CASE WHEN v_state IN ('COMPLETE', 'ABORT', 'FAIL') THEN v_time END,
                (ev->'run'->>'nominal_start')::timestamptz, (ev->'run'->>'nominal_end')::timestamptz,
                (ev->'run'->>'parent')::uuid, coalesce(ev->'run'->'facets', '{}'::jsonb), p_now, p_now)
        ON CONFLICT (run_id) DO NOTHING
        RETURNING * INTO v_run;
        v_fresh := v_run.id IS NOT NULL;
        IF NOT v_fresh THEN
            SELECT * INTO v_run FROM dictamesh_lineage_run WHERE run_id = (ev->>'run_id')::uuid FOR UPDATE;
        END IF;
        IF v_run.job_id <> v_job THEN
            RAISE EXCEPTION 'run % belongs to another job', ev->>'run_id' USING ERRCODE = 'DMRUN';
        END IF;
        v_rank := CASE WHEN v_state IN ('COMPLETE', 'ABORT', 'FAIL') THEN 3 WHEN v_state = 'RUNNING' THEN 2
                       WHEN v_state = 'START' THEN 1 ELSE 0 END;
        v_current := CASE WHEN v_run.state IN ('COMPLETE', 'ABORT', 'FAIL') THEN 3 WHEN v_run.state = 'RUNNING'
                          THEN 2 WHEN v_run.state = 'START' THEN 1 ELSE 0 END;
        IF NOT v_fresh THEN
            UPDATE dictamesh_lineage_run SET
                state = CASE WHEN (v_rank, v_time) >= (v_current, v_run.state_time) THEN v_state ELSE state END,
                state_time = CASE WHEN (v_rank, v_time) >= (v_current, v_run.state_time) THEN v_time
                                  ELSE state_time END,
                started_at = CASE WHEN v_state = 'START' AND (started_at IS NULL OR v_time < started_at) THEN v_time
                                  ELSE started_at END,
                ended_at = CASE WHEN v_rank = 3 THEN v_time ELSE ended_at END,
                nominal_start = coalesce((ev->'run'->>'nominal_start')::timestamptz, nominal_start),
                nominal_end = CASE WHEN ev->'run'->>'nominal_start' IS NOT NULL
                                   THEN (ev->'run'->>'nominal_end')::timestamptz ELSE nominal_end END,
                parent_run_id = coalesce((ev->'run'->>'parent')::uuid, parent_run_id),
                facets = facets || coalesce(ev->'run'->'facets', '{}'::jsonb),
                updated_at = p_now
            WHERE id = v_run.id
            RETURNING state INTO v_state;
        END IF;
        INSERT INTO dictamesh_lineage_run_io (run_id, dataset_id, direction)
        SELECT v_run.id, (v_ids->>k)::bigint, 'input' FROM jsonb_array_elements_text(ev->'inputs') AS k
        UNION SELECT v_run.id, (v_ids->>k)::bigint, 'output' FROM jsonb_array_elements_text(ev->'outputs') AS k
        ORDER BY 2, 3
        ON CONFLICT DO NOTHING;
    END IF;

    -- column lineage: output field <- input field (fields first named here are created without a type)
    IF jsonb_array_length(ev->'columns') > 0 THEN
        INSERT INTO dictamesh_lineage_field (dataset_id, name, type, description, ordinal, created_at, updated_at)
        SELECT DISTINCT (v_ids->>f.key)::bigint, f.field, '', '', 0, p_now, p_now
        FROM jsonb_to_recordset(ev->'columns') AS c(okey text, out_field text, ikey text, in_field text),
             LATERAL (VALUES (c.okey, c.out_field), (c.ikey, c.in_field)) AS f(key, field)
        ORDER BY 1, 2
        ON CONFLICT (dataset_id, name) DO NOTHING;
        INSERT INTO dictamesh_lineage_column_edge (input_id, output_id, job_id, transformation_type,
            transformation_subtype, description, masking, provenance, created_at, updated_at)
        SELECT DISTINCT ON (fi.id, fo.id) fi.id, fo.id, v_job, c.type, c.subtype, c.description, c.masking,
               'openlineage', p_now, p_now
        FROM jsonb_to_recordset(ev->'columns') AS c(okey text, out_field text, ikey text, in_field text, type text,
                                                    subtype text, description text, masking boolean)
        JOIN dictamesh_lineage_field fo ON fo.dataset_id = (v_ids->>c.okey)::bigint AND fo.name = c.out_field
        JOIN dictamesh_lineage_field fi ON fi.dataset_id = (v_ids->>c.ikey)::bigint AND fi.name = c.in_field
        WHERE fi.id <> fo.id
        ORDER BY fi.id, fo.id
        ON CONFLICT (input_id, output_id) DO UPDATE SET
            job_id = coalesce(EXCLUDED.job_id, dictamesh_lineage_column_edge.job_id),
            transformation_type = EXCLUDED.transformation_type,
            transformation_subtype = EXCLUDED.transformation_subtype, description = EXCLUDED.description,
            masking = EXCLUDED.masking, updated_at = EXCLUDED.updated_at;
    END IF;

    RETURN jsonb_build_object('status', 'stored', 'created', to_jsonb(v_created), 'catalog', to_jsonb(v_catalog),
                              'run_state', v_state);
END;
$fn$;
