-- dictamesh_lineage_apply_pending(p_limit, p_now, p_ids, p_upto): accepted OpenLineage events applied in a batch.
--
-- POST /api/v1/lineage stores each event (dictamesh_lineage_event) and its normalised form, its work, in the
-- queue dictamesh_lineage_pending (apps/lineage/services.py, ``_STORE``). This function takes up to p_limit
-- queued events (p_ids: exactly those; else the oldest not failed, ids <= p_upto when given), deletes them
-- from the queue and applies them as if one after the other, each step one statement for the whole batch.
-- The caller holds the applier lock (one batch at a time in the whole deployment) or applies events of its
-- own transaction. work = {
--   namespaces: [name],                                  -- every namespace named, sorted
--   nodes: [{k, ns, name}],                              -- every node named (kind, namespace, name)
--   job: key | null,                     -- node keys: kind, namespace, name joined by chr(31) (never in names)
--   event_time,
--   updates: [{key, facets, description, source_name, job_type, catalog}],   -- nodes whose facets came
--   schemas: [{key, fields: [{name, type, description}]}],                     -- datasets with a schema facet
--   edges: [[source key, target key]], inputs: [key], outputs: [key],
--   run: {state, facets, nominal_start, nominal_end, parent} | null,
--   columns: [{okey, out_field, ikey, in_field, type, subtype, description, masking}],
--   summary: {...}                                       -- what the caller publishes, returned as is }
-- Returns {events: [{o, e, actor, summary}] in order, refused: [{o, e, run}], created: [node id],
--          catalog: [node id], runs: {run id: [state, state time] before the batch}}.
-- An event whose run id belongs to another job (a race the store's check cannot see) is refused: its event
-- row is deleted and it is reported, the rest of the batch is applied.

CREATE OR REPLACE FUNCTION dictamesh_lineage_run_rank(state text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN state IN ('COMPLETE', 'ABORT', 'FAIL') THEN 3 WHEN state = 'RUNNING' THEN 2
                WHEN state = 'START' THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE AGGREGATE dictamesh_lineage_merge(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');

CREATE OR REPLACE FUNCTION dictamesh_lineage_apply_pending(
    p_limit int, p_now timestamptz, p_ids bigint[] DEFAULT NULL, p_upto bigint DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_batch jsonb;
    v_refused jsonb := '[]';
    v_ids jsonb;
    v_ns jsonb;
    v_created bigint[];
    v_catalog bigint[] := '{}';
    v_run_ids uuid[];
    v_runs jsonb;
    rec record;
    v_cur jsonb;
    v_version int;
BEGIN
    IF p_ids IS NOT NULL THEN
        WITH taken AS (
            DELETE FROM dictamesh_lineage_pending p WHERE p.id = ANY (p_ids)
            RETURNING p.id, p.event_id, p.run_id, p.job, p.work, p.actor
        )
        SELECT jsonb_agg(jsonb_build_object('o', t.id, 'e', t.event_id, 'run', t.run_id, 'job', t.job, 'w', t.work,
                                            'actor', t.actor) ORDER BY t.id)
        INTO v_batch FROM taken t;
    ELSE
        WITH taken AS (
            DELETE FROM dictamesh_lineage_pending p
            WHERE p.id IN (SELECT q.id FROM dictamesh_lineage_pending q
                           WHERE q.failed_at IS NULL AND q.id <= coalesce(p_upto, 9223372036854775807)
                           ORDER BY q.id LIMIT p_limit)
            RETURNING p.id, p.event_id, p.run_id, p.job, p.work, p.actor
        )
        SELECT jsonb_agg(jsonb_build_object('o', t.id, 'e', t.event_id, 'run', t.run_id, 'job', t.job, 'w', t.work,
                                            'actor', t.actor) ORDER BY t.id)
        INTO v_batch FROM taken t;
    END IF;
    IF v_batch IS NULL THEN
        RETURN jsonb_build_object('events', '[]'::jsonb, 'refused', '[]'::jsonb, 'created', '[]'::jsonb,
                                  'catalog', '[]'::jsonb, 'runs', '{}'::jsonb);
    END IF;

    -- a run belongs to its job (the one it has, else the one its first event names): an event naming another
    -- job is refused
    SELECT coalesce(jsonb_agg(jsonb_build_object('o', x.o, 'e', x.e, 'run', x.run) ORDER BY x.o), '[]')
    INTO v_refused
    FROM (SELECT (b->>'o')::bigint AS o, b->'e' AS e, b->>'run' AS run, b->>'job' AS job,
                 first_value(b->>'job') OVER (PARTITION BY b->>'run' ORDER BY (b->>'o')::bigint) AS first_job
          FROM jsonb_array_elements(v_batch) AS b WHERE b->>'run' IS NOT NULL) AS x
    WHERE x.job IS DISTINCT FROM coalesce(
              (SELECT 'job' || chr(31) || s.name || chr(31) || j.name
               FROM dictamesh_lineage_run AS r JOIN dictamesh_lineage_node AS j ON j.id = r.job_id
               JOIN dictamesh_lineage_namespace AS s ON s.id = j.namespace_id
               WHERE r.run_id = x.run::uuid), x.first_job);
    IF jsonb_array_length(v_refused) > 0 THEN
        DELETE FROM dictamesh_lineage_event
        WHERE id IN (SELECT (f->>'e')::bigint FROM jsonb_array_elements(v_refused) AS f);
        SELECT coalesce(jsonb_agg(b ORDER BY (b->>'o')::bigint), '[]') INTO v_batch
        FROM jsonb_array_elements(v_batch) AS b
        WHERE NOT b->'o' IN (SELECT f->'o' FROM jsonb_array_elements(v_refused) AS f);
    END IF;

    -- namespaces: created on first sight; their ids once for the batch
    INSERT INTO dictamesh_lineage_namespace (name, description, owner, created_at, updated_at)
    SELECT w.n, '', '', p_now, p_now
    FROM (SELECT DISTINCT n FROM jsonb_array_elements(v_batch) AS b,
                 jsonb_array_elements_text(b->'w'->'namespaces') AS n) AS w
    WHERE (SELECT s.id FROM dictamesh_lineage_namespace AS s WHERE s.name = w.n) IS NULL
    ORDER BY 1
    ON CONFLICT (name) DO NOTHING;
    SELECT jsonb_object_agg(w.n, (SELECT s.id FROM dictamesh_lineage_namespace AS s WHERE s.name = w.n))
    INTO v_ns
    FROM (SELECT DISTINCT n FROM jsonb_array_elements(v_batch) AS b,
                 jsonb_array_elements_text(b->'w'->'namespaces') AS n) AS w;

    -- nodes: every node of the batch by key (an index lookup each); those missing created, their ids taken
    -- from the insert (one created meanwhile by another writer is looked up again)
    SELECT jsonb_object_agg(w.k || chr(31) || w.ns || chr(31) || w.name, (
               SELECT n.id FROM dictamesh_lineage_node AS n
               WHERE n.kind = w.k AND n.namespace_id = (v_ns->>w.ns)::bigint AND n.name = w.name))
    INTO v_ids
    FROM (SELECT DISTINCT x.k, x.ns, x.name
          FROM jsonb_array_elements(v_batch) AS b,
               jsonb_to_recordset(b->'w'->'nodes') AS x(k text, ns text, name text)) AS w;
    IF EXISTS (SELECT 1 FROM jsonb_each(v_ids) AS e WHERE jsonb_typeof(e.value) = 'null') THEN
        WITH ins AS (
            INSERT INTO dictamesh_lineage_node (kind, namespace_id, name, entity_urn, description, source_name,
                                                job_type, facets, version, created_at, updated_at)
            SELECT split_part(e.key, chr(31), 1), (v_ns->>split_part(e.key, chr(31), 2))::bigint,
                   substr(e.key, length(split_part(e.key, chr(31), 1)) + length(split_part(e.key, chr(31), 2)) + 3),
                   '', '', '', '', '{}'::jsonb, 0, p_now, p_now
            FROM jsonb_each(v_ids) AS e WHERE jsonb_typeof(e.value) = 'null'
            ORDER BY 1, 2, 3
            ON CONFLICT (kind, namespace_id, name) DO NOTHING RETURNING id, kind, namespace_id, name
        )
        SELECT coalesce(array_agg(i.id), '{}'),
               v_ids || coalesce(jsonb_object_agg(i.kind || chr(31) || s.name || chr(31) || i.name, i.id), '{}')
        INTO v_created, v_ids
        FROM ins AS i JOIN jsonb_each_text(v_ns) AS s(name, id) ON s.id::bigint = i.namespace_id;
        SELECT v_ids || coalesce(jsonb_object_agg(e.key, (
                   SELECT n.id FROM dictamesh_lineage_node AS n
                   WHERE n.kind = split_part(e.key, chr(31), 1)
                     AND n.namespace_id = (v_ns->>split_part(e.key, chr(31), 2))::bigint
                     AND n.name = substr(e.key, length(split_part(e.key, chr(31), 1))
                                                + length(split_part(e.key, chr(31), 2)) + 3))), '{}')
        INTO v_ids FROM jsonb_each(v_ids) AS e WHERE jsonb_typeof(e.value) = 'null';
    ELSE
        v_created := '{}';
    END IF;

    -- facets: every update of a node any of them changes, in arrival order (the rest change nothing); a
    -- dataset whose catalog-facing facets change is noted for the catalog
    FOR rec IN
        WITH u AS (
            SELECT (b->>'o')::bigint AS o, (v_ids->>x.key)::bigint AS id, x.facets, x.description, x.source_name,
                   x.job_type, x.catalog
            FROM jsonb_array_elements(v_batch) AS b,
                 jsonb_to_recordset(b->'w'->'updates') AS x(key text, facets jsonb, description text,
                                                            source_name text, job_type text, catalog boolean)
        )
        SELECT u.* FROM u
        WHERE u.id IN (SELECT c.id FROM (SELECT DISTINCT u2.id, u2.facets FROM u AS u2) AS c
                       WHERE NOT (SELECT n.facets FROM dictamesh_lineage_node AS n WHERE n.id = c.id) @> c.facets)
        ORDER BY u.o
    LOOP
        SELECT facets INTO v_cur FROM dictamesh_lineage_node WHERE id = rec.id FOR UPDATE;
        CONTINUE WHEN v_cur @> rec.facets;
        IF rec.catalog AND (
            (rec.facets ? 'documentation' AND rec.facets->'documentation' IS DISTINCT FROM v_cur->'documentation')
            OR (rec.facets ? 'ownership' AND rec.facets->'ownership' IS DISTINCT FROM v_cur->'ownership')
            OR (rec.facets ? 'dataSource' AND rec.facets->'dataSource' IS DISTINCT FROM v_cur->'dataSource')) THEN
            v_catalog := v_catalog || rec.id;
        END IF;
        UPDATE dictamesh_lineage_node SET facets = facets || rec.facets, updated_at = p_now,
            description = coalesce(rec.description, description), source_name = coalesce(rec.source_name, source_name),
            job_type = coalesce(rec.job_type, job_type)
        WHERE id = rec.id;
    END LOOP;

    -- schema facets: for every dataset any of them changes, in arrival order: fields added, changed, removed,
    -- and a new dataset version each time they differ
    FOR rec IN
        WITH s AS (
            SELECT (b->>'o')::bigint AS o, (b->>'run')::uuid AS run, (v_ids->>x.key)::bigint AS id, x.fields
            FROM jsonb_array_elements(v_batch) AS b, jsonb_to_recordset(b->'w'->'schemas') AS x(key text, fields jsonb)
        )
        SELECT s.* FROM s
        WHERE s.id IN (
            SELECT c.id FROM (SELECT DISTINCT s2.id, s2.fields FROM s AS s2) AS c
            WHERE c.fields IS DISTINCT FROM (
                SELECT coalesce(jsonb_agg(jsonb_build_object('name', f.name, 'type', f.type,
                                                             'description', f.description)
                                          ORDER BY f.ordinal, f.name), '[]'::jsonb)
                FROM dictamesh_lineage_field AS f WHERE f.dataset_id = c.id AND f.removed_at IS NULL))
        ORDER BY s.o
    LOOP
        SELECT coalesce(jsonb_agg(jsonb_build_object('name', f.name, 'type', f.type, 'description', f.description)
                                  ORDER BY f.ordinal, f.name), '[]'::jsonb)
        INTO v_cur FROM dictamesh_lineage_field AS f WHERE f.dataset_id = rec.id AND f.removed_at IS NULL;
        CONTINUE WHEN v_cur = rec.fields;
        INSERT INTO dictamesh_lineage_field (dataset_id, name, type, description, ordinal, removed_at, created_at,
                                             updated_at)
        SELECT rec.id, f.name, f.type, f.description, f.ord - 1, NULL, p_now, p_now
        FROM ROWS FROM (jsonb_to_recordset(rec.fields) AS (name text, type text, description text))
             WITH ORDINALITY AS f(name, type, description, ord)
        ON CONFLICT (dataset_id, name) DO UPDATE SET type = EXCLUDED.type, description = EXCLUDED.description,
            ordinal = EXCLUDED.ordinal, removed_at = NULL, updated_at = p_now;
        UPDATE dictamesh_lineage_field SET removed_at = p_now, updated_at = p_now
        WHERE dataset_id = rec.id AND removed_at IS NULL
          AND name NOT IN (SELECT f->>'name' FROM jsonb_array_elements(rec.fields) AS f);
        UPDATE dictamesh_lineage_node SET version = version + 1 WHERE id = rec.id RETURNING version INTO v_version;
        INSERT INTO dictamesh_lineage_dataset_version (dataset_id, version, run_id, fields, created_at)
        VALUES (rec.id, v_version, rec.run, rec.fields, p_now);
        v_catalog := v_catalog || rec.id;
    END LOOP;

    -- edges: dataset -> job (reads), job -> dataset (writes); last_seen_at moves once an hour at most (an
    -- edge a pipeline uses is seen every run: refreshing it each time would rewrite the edge table)
    INSERT INTO dictamesh_lineage_edge (source_id, target_id, provenance, confidence, note, created_by, created_at,
                                        last_seen_at)
    SELECT x.s, x.t, 'openlineage', 1, '', '', p_now, p_now
    FROM (SELECT DISTINCT (v_ids->>(e->>0))::bigint AS s, (v_ids->>(e->>1))::bigint AS t
          FROM jsonb_array_elements(v_batch) AS b, jsonb_array_elements(b->'w'->'edges') AS e) AS x
    WHERE x.s <> x.t
      AND coalesce((SELECT g.last_seen_at FROM dictamesh_lineage_edge AS g
                    WHERE g.source_id = x.s AND g.target_id = x.t), '-infinity') < p_now - interval '1 hour'
    ORDER BY 1, 2
    ON CONFLICT (source_id, target_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
    WHERE dictamesh_lineage_edge.last_seen_at < EXCLUDED.last_seen_at - interval '1 hour';

    -- runs: a terminal state wins whatever the arrival order, else the later event time; the states before
    -- the batch go back to the caller (each event's own resulting state is published)
    SELECT array_agg(DISTINCT (b->>'run')::uuid) INTO v_run_ids
    FROM jsonb_array_elements(v_batch) AS b WHERE jsonb_typeof(b->'w'->'run') = 'object';
    IF v_run_ids IS NOT NULL THEN
        -- (a scalar subquery a run: an index lookup each, whatever plan is cached for the table's size)
        SELECT coalesce(jsonb_object_agg(u.id, x.state) FILTER (WHERE x.state IS NOT NULL), '{}') INTO v_runs
        FROM unnest(v_run_ids) AS u(id),
             LATERAL (SELECT (SELECT jsonb_build_array(r.state, r.state_time) FROM dictamesh_lineage_run AS r
                              WHERE r.run_id = u.id) AS state) AS x;
        WITH ev AS (
            SELECT (b->>'o')::bigint AS o, (b->>'run')::uuid AS run_id, (v_ids->>(b->'w'->>'job'))::bigint AS job_id,
                   b->'w'->'run'->>'state' AS state, dictamesh_lineage_run_rank(b->'w'->'run'->>'state') AS rank,
                   (b->'w'->>'event_time')::timestamptz AS t,
                   (b->'w'->'run'->>'nominal_start')::timestamptz AS nominal_start,
                   (b->'w'->'run'->>'nominal_end')::timestamptz AS nominal_end,
                   (b->'w'->'run'->>'parent')::uuid AS parent, coalesce(b->'w'->'run'->'facets', '{}') AS facets,
                   b->'w'->'inputs' AS inputs, b->'w'->'outputs' AS outputs
            FROM jsonb_array_elements(v_batch) AS b WHERE jsonb_typeof(b->'w'->'run') = 'object'
        ), agg AS (
            SELECT ev.run_id, min(ev.job_id) AS job_id,
                   (array_agg(ev.state ORDER BY ev.rank DESC, ev.t DESC))[1] AS state,
                   (array_agg(ev.t ORDER BY ev.rank DESC, ev.t DESC))[1] AS state_time,
                   min(ev.t) FILTER (WHERE ev.state = 'START') AS started_at,
                   (array_agg(ev.t ORDER BY ev.o DESC) FILTER (WHERE ev.rank = 3))[1] AS ended_at,
                   (array_agg(ev.nominal_start ORDER BY ev.o DESC) FILTER (WHERE ev.nominal_start IS NOT NULL))[1]
                       AS nominal_start,
                   (array_agg(ev.nominal_end ORDER BY ev.o DESC) FILTER (WHERE ev.nominal_start IS NOT NULL))[1]
                       AS nominal_end,
                   (array_agg(ev.parent ORDER BY ev.o DESC) FILTER (WHERE ev.parent IS NOT NULL))[1] AS parent,
                   dictamesh_lineage_merge(ev.facets ORDER BY ev.o) AS facets
            FROM ev GROUP BY ev.run_id
        ), up AS (
            INSERT INTO dictamesh_lineage_run AS cur (run_id, job_id, state, state_time, started_at, ended_at,
                                                     nominal_start, nominal_end, parent_run_id, facets, created_at,
                                                     updated_at)
            SELECT a.run_id, a.job_id, a.state, a.state_time, a.started_at, a.ended_at, a.nominal_start,
                   a.nominal_end, a.parent, a.facets, p_now, p_now
            FROM agg AS a ORDER BY a.run_id
            ON CONFLICT (run_id) DO UPDATE SET
                state = CASE WHEN (dictamesh_lineage_run_rank(EXCLUDED.state), EXCLUDED.state_time)
                                  >= (dictamesh_lineage_run_rank(cur.state), cur.state_time)
                             THEN EXCLUDED.state ELSE cur.state END,
                state_time = CASE WHEN (dictamesh_lineage_run_rank(EXCLUDED.state), EXCLUDED.state_time)
                                       >= (dictamesh_lineage_run_rank(cur.state), cur.state_time)
                                  THEN EXCLUDED.state_time ELSE cur.state_time END,
                started_at = CASE WHEN EXCLUDED.started_at IS NOT NULL
                                       AND (cur.started_at IS NULL OR EXCLUDED.started_at < cur.started_at)
                                  THEN EXCLUDED.started_at ELSE cur.started_at END,
                ended_at = coalesce(EXCLUDED.ended_at, cur.ended_at),
                nominal_start = coalesce(EXCLUDED.nominal_start, cur.nominal_start),
                nominal_end = CASE WHEN EXCLUDED.nominal_start IS NOT NULL THEN EXCLUDED.nominal_end
                                   ELSE cur.nominal_end END,
                parent_run_id = coalesce(EXCLUDED.parent_run_id, cur.parent_run_id),
                facets = cur.facets || EXCLUDED.facets,
                updated_at = p_now
            WHERE cur.job_id = EXCLUDED.job_id
            RETURNING cur.id, cur.run_id
        )
        INSERT INTO dictamesh_lineage_run_io (run_id, dataset_id, direction)
        SELECT DISTINCT up.id, (v_ids->>io.key)::bigint, io.direction
        FROM ev JOIN up ON up.run_id = ev.run_id,
             LATERAL (SELECT k, 'input' FROM jsonb_array_elements_text(ev.inputs) AS k
                      UNION ALL SELECT k, 'output' FROM jsonb_array_elements_text(ev.outputs) AS k) AS io(key, direction)
        ORDER BY 1, 2, 3
        ON CONFLICT DO NOTHING;
    END IF;

    -- column lineage: output field <- input field (fields first named here are created without a type); the
    -- last event naming a pair describes it
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(v_batch) AS b WHERE jsonb_array_length(b->'w'->'columns') > 0) THEN
        INSERT INTO dictamesh_lineage_field (dataset_id, name, type, description, ordinal, created_at, updated_at)
        SELECT x.id, x.field, '', '', 0, p_now, p_now
        FROM (SELECT DISTINCT (v_ids->>f.key)::bigint AS id, f.field
              FROM jsonb_array_elements(v_batch) AS b,
                   jsonb_to_recordset(b->'w'->'columns') AS c(okey text, out_field text, ikey text, in_field text),
                   LATERAL (VALUES (c.okey, c.out_field), (c.ikey, c.in_field)) AS f(key, field)) AS x
        WHERE (SELECT f.id FROM dictamesh_lineage_field AS f WHERE f.dataset_id = x.id AND f.name = x.field) IS NULL
        ORDER BY 1, 2
        ON CONFLICT (dataset_id, name) DO NOTHING;
        INSERT INTO dictamesh_lineage_column_edge AS cur (input_id, output_id, job_id, transformation_type,
            transformation_subtype, description, masking, provenance, created_at, updated_at)
        SELECT DISTINCT ON (fi.id, fo.id) fi.id, fo.id, (v_ids->>(b->'w'->>'job'))::bigint, c.type, c.subtype,
               c.description, c.masking, 'openlineage', p_now, p_now
        FROM jsonb_array_elements(v_batch) AS b,
             jsonb_to_recordset(b->'w'->'columns') AS c(okey text, out_field text, ikey text, in_field text,
                                                        type text, subtype text, description text, masking boolean),
             LATERAL (SELECT f.id FROM dictamesh_lineage_field AS f
                      WHERE f.dataset_id = (v_ids->>c.okey)::bigint AND f.name = c.out_field) AS fo,
             LATERAL (SELECT f.id FROM dictamesh_lineage_field AS f
                      WHERE f.dataset_id = (v_ids->>c.ikey)::bigint AND f.name = c.in_field) AS fi
        WHERE fi.id <> fo.id
        ORDER BY fi.id, fo.id, (b->>'o')::bigint DESC
        ON CONFLICT (input_id, output_id) DO UPDATE SET
            job_id = coalesce(EXCLUDED.job_id, cur.job_id),
            transformation_type = EXCLUDED.transformation_type,
            transformation_subtype = EXCLUDED.transformation_subtype, description = EXCLUDED.description,
            masking = EXCLUDED.masking, updated_at = EXCLUDED.updated_at
        WHERE (cur.job_id, cur.transformation_type, cur.transformation_subtype, cur.description, cur.masking)
              IS DISTINCT FROM (coalesce(EXCLUDED.job_id, cur.job_id), EXCLUDED.transformation_type,
                                EXCLUDED.transformation_subtype, EXCLUDED.description, EXCLUDED.masking);
    END IF;

    RETURN jsonb_build_object(
        'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('o', b->'o', 'e', b->'e', 'actor', b->'actor',
                                                                 'summary', b->'w'->'summary')
                                             ORDER BY (b->>'o')::bigint), '[]')
                   FROM jsonb_array_elements(v_batch) AS b),
        'refused', v_refused, 'created', to_jsonb(v_created), 'catalog', to_jsonb(v_catalog),
        'runs', coalesce(v_runs, '{}'::jsonb));
END;
$fn$;
