"""Writes of lineage: OpenLineage events in, manual edges by stewards, dataset ↔ catalog links.

One event, one transaction: the event row (its digest makes a re-send a no-op), namespaces, datasets and
jobs (created on first sight), the run and its state, edges, fields and versions from ``schema`` facets,
column lineage from ``columnLineage`` facets, the catalog entities of new or changed datasets, and one event
on ``dictamesh.lineage.graph.v1``. Invalid input raises before anything is written.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.catalog import public as catalog
from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change

from . import events
from .models import (
    ColumnEdge,
    DatasetField,
    DatasetVersion,
    Edge,
    Node,
    NodeKind,
    Provenance,
    Run,
    RunState,
)
from .openlineage import DatasetIn, ParsedEvent, parse

logger = logging.getLogger("dictamesh.lineage")
TERMINAL = {RunState.COMPLETE, RunState.ABORT, RunState.FAIL}
_RANK = {"": 0, RunState.OTHER: 0, RunState.START: 1, RunState.RUNNING: 2}  # terminal states: 3


@dataclass
class Ingested:
    status: str  # stored | duplicate
    kind: str
    run_id: uuid.UUID | None = None
    run_state: str = ""
    new_datasets: list[str] = field(default_factory=list)


def digest_of(body: dict) -> str:
    """sha256 of the event's canonical JSON (keys sorted): the same event sent twice has one digest."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def ingest(body: dict, *, actor: str | None = None) -> Ingested:
    """Store one OpenLineage event (validated first; ValidationError names what is wrong)."""
    event = parse(body)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dictamesh_lineage_event (digest, kind, event_type, event_time, run_id, producer,"
                " payload, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, now())"
                " ON CONFLICT (digest) DO NOTHING RETURNING id",
                [
                    digest_of(body),
                    event.kind,
                    event.event_type,
                    event.event_time,
                    event.run_id,
                    event.producer[:1024],
                    orjson.dumps(body).decode(),
                ],
            )
            if cursor.fetchone() is None:
                return Ingested("duplicate", event.kind, event.run_id)
        return _store(event, actor=actor or current_actor() or "")


def _store(event: ParsedEvent, *, actor: str) -> Ingested:
    now = timezone.now()
    datasets = ([event.dataset] if event.dataset else []) + event.inputs + event.outputs
    namespaces = _namespaces({d.namespace for d in datasets} | ({event.job[0]} if event.job else set()), now)
    nodes, created = _nodes(
        [(NodeKind.DATASET, namespaces[d.namespace], d.name) for d in datasets]
        + ([(NodeKind.JOB, namespaces[event.job[0]], event.job[1])] if event.job else []),
        now,
    )
    result = Ingested("stored", event.kind, event.run_id)
    job_id = nodes[(NodeKind.JOB, namespaces[event.job[0]], event.job[1])] if event.job else None
    if job_id is not None and event.job_facets:
        _merge_facets(job_id, event.job_facets, now)
    changed_catalog: dict[int, DatasetIn] = {}
    for d in datasets:
        node_id = nodes[(NodeKind.DATASET, namespaces[d.namespace], d.name)]
        if d.facets:
            _merge_facets(node_id, d.facets, now)
            if _schema_changed(node_id, d.facets.get("schema"), event.run_id, now) or any(
                k in d.facets for k in ("documentation", "ownership", "dataSource")
            ):
                changed_catalog[node_id] = d
        if node_id in created:
            changed_catalog[node_id] = d
            result.new_datasets.append(f"dataset:{d.namespace}:{d.name}")
    input_ids = [nodes[(NodeKind.DATASET, namespaces[d.namespace], d.name)] for d in event.inputs]
    output_ids = [nodes[(NodeKind.DATASET, namespaces[d.namespace], d.name)] for d in event.outputs]
    if job_id is not None:
        _edges(
            [(i, job_id) for i in input_ids] + [(job_id, o) for o in output_ids],
            provenance=Provenance.OPENLINEAGE,
            now=now,
        )
    if event.kind == "RunEvent":
        run = _run(event, job_id, now)
        result.run_state = run.state
        _run_io(run.pk, input_ids, output_ids)
    for d, node_id in zip(event.outputs, output_ids, strict=True):
        if isinstance(d.facets.get("columnLineage"), dict):
            _column_lineage(node_id, d.facets["columnLineage"], job_id, namespaces, now)
    if changed_catalog:
        _sync_catalog(changed_catalog, actor=actor)
    publish_many(
        [
            Change(
                type=events.EVENT_INGESTED,
                subject=str(event.run_id) if event.run_id else _subject(event),
                data={
                    "kind": event.kind,
                    "event_type": event.event_type,
                    "event_time": event.event_time.isoformat(),
                    "run_id": str(event.run_id) if event.run_id else None,
                    "run_state": result.run_state or None,
                    "job": f"job:{event.job[0]}:{event.job[1]}" if event.job else None,
                    "inputs": [f"dataset:{d.namespace}:{d.name}" for d in event.inputs],
                    "outputs": [f"dataset:{d.namespace}:{d.name}" for d in event.outputs],
                    "dataset": f"dataset:{event.dataset.namespace}:{event.dataset.name}"
                    if event.dataset
                    else None,
                    "new_datasets": result.new_datasets,
                },
                actor=actor or None,
                json_ready=True,
            )
        ]
    )
    return result


def _subject(event: ParsedEvent) -> str:
    if event.dataset is not None:
        return f"dataset:{event.dataset.namespace}:{event.dataset.name}"
    assert event.job is not None
    return f"job:{event.job[0]}:{event.job[1]}"


def _namespaces(names: set[str], now: datetime) -> dict[str, int]:
    ordered = sorted(names)  # one order for every writer: concurrent first sights never deadlock
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_namespace (name, description, owner, created_at, updated_at)"
            " SELECT n, '', '', %s, %s FROM unnest(%s::text[]) AS n ON CONFLICT (name) DO NOTHING",
            [now, now, ordered],
        )
        cursor.execute("SELECT name, id FROM dictamesh_lineage_namespace WHERE name = ANY(%s)", [ordered])
        return dict(cursor.fetchall())


def _nodes(
    keys: list[tuple[str, int, str]], now: datetime
) -> tuple[dict[tuple[str, int, str], int], set[int]]:
    """Ids of the nodes ``(kind, namespace id, name)``, created when missing; and the ids created now."""
    ordered = sorted(set(keys))
    kinds, spaces, names = (list(col) for col in zip(*ordered, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_node (kind, namespace_id, name, entity_urn, description, source_name,"
            " job_type, facets, version, created_at, updated_at)"
            " SELECT k, s, n, '', '', '', '', '{}'::jsonb, 0, %s, %s"
            " FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS u(k, s, n)"
            " ON CONFLICT (kind, namespace_id, name) DO NOTHING RETURNING id",
            [now, now, kinds, spaces, names],
        )
        created = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT n.kind, n.namespace_id, n.name, n.id FROM dictamesh_lineage_node n"
            " JOIN unnest(%s::text[], %s::bigint[], %s::text[]) AS u(k, s, nm)"
            " ON n.kind = u.k AND n.namespace_id = u.s AND n.name = u.nm",
            [kinds, spaces, names],
        )
        return {(k, s, n): pk for k, s, n, pk in cursor.fetchall()}, created


def _merge_facets(node_id: int, facets: dict, now: datetime) -> None:
    """The latest value of each facet; documentation and dataSource and jobType also fill their columns."""
    description = (facets.get("documentation") or {}).get("description")
    source = (facets.get("dataSource") or {}).get("name")
    job_type = (facets.get("jobType") or {}).get("jobType")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dictamesh_lineage_node SET facets = facets || %s::jsonb, updated_at = %s,"
            " description = COALESCE(%s, description), source_name = COALESCE(%s, source_name),"
            " job_type = COALESCE(%s, job_type) WHERE id = %s",
            [
                orjson.dumps(facets).decode(),
                now,
                description if isinstance(description, str) else None,
                source[:1024] if isinstance(source, str) else None,
                job_type[:100] if isinstance(job_type, str) else None,
                node_id,
            ],
        )


def _flatten(fields: list[dict], prefix: str = "") -> list[dict]:
    """Schema facet fields, nested ones as ``parent.child``."""
    out = []
    for f in fields:
        name = prefix + f["name"]
        out.append(
            {"name": name, "type": (f.get("type") or "")[:200], "description": f.get("description") or ""}
        )
        out.extend(_flatten(f.get("fields") or [], name + "."))
    return out


def _schema_changed(node_id: int, schema: dict | None, run_id: uuid.UUID | None, now: datetime) -> bool:
    """Apply a ``schema`` facet: fields added, changed, removed; a new dataset version when any changed."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return False
    fields = _flatten(schema["fields"])
    seen = {}
    for f in fields:  # the last of a repeated name wins
        seen[f["name"]] = f
    fields = list(seen.values())
    current = {
        f.name: f
        for f in DatasetField.objects.select_for_update().filter(dataset_id=node_id).order_by("name")
    }
    live = {n for n, f in current.items() if f.removed_at is None}
    same = live == set(seen) and all(
        (current[n].type, current[n].description, current[n].ordinal) == (f["type"], f["description"], i)
        for i, (n, f) in enumerate(seen.items())
    )
    if same:
        return False
    for i, f in enumerate(fields):
        row = current.get(f["name"])
        if row is None:
            DatasetField.objects.create(
                dataset_id=node_id, name=f["name"], type=f["type"], description=f["description"], ordinal=i,
                created_at=now, updated_at=now,
            )  # fmt: skip
        else:
            row.type, row.description, row.ordinal, row.removed_at, row.updated_at = (
                f["type"], f["description"], i, None, now
            )  # fmt: skip
            row.save(update_fields=["type", "description", "ordinal", "removed_at", "updated_at"])
    DatasetField.objects.filter(dataset_id=node_id, removed_at__isnull=True).exclude(name__in=seen).update(
        removed_at=now, updated_at=now
    )
    node = Node.objects.select_for_update().only("version").get(pk=node_id)
    node.version += 1
    Node.objects.filter(pk=node_id).update(version=node.version)
    DatasetVersion.objects.create(dataset_id=node_id, version=node.version, run_id=run_id, fields=fields)
    return True


def _edges(pairs: list[tuple[int, int]], *, provenance: str, now: datetime, confidence: float = 1.0,
           note: str = "", actor: str = "") -> int:  # fmt: skip
    pairs = sorted({p for p in pairs if p[0] != p[1]})
    if not pairs:
        return 0
    sources, targets = (list(c) for c in zip(*pairs, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_edge (source_id, target_id, provenance, confidence, note, created_by,"
            " created_at, last_seen_at) SELECT s, t, %s, %s, %s, %s, %s, %s FROM unnest(%s::bigint[], %s::bigint[])"
            " AS u(s, t) ON CONFLICT (source_id, target_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at"
            " WHERE dictamesh_lineage_edge.last_seen_at < EXCLUDED.last_seen_at - interval '1 minute'"
            " RETURNING (xmax = 0)",
            [provenance, confidence, note, actor, now, now, sources, targets],
        )
        return sum(1 for (inserted,) in cursor.fetchall() if inserted)


def _run(event: ParsedEvent, job_id: int, now: datetime) -> Run:
    """The run, created or moved to the event's state: a terminal state wins whatever the arrival order;
    otherwise the later event time wins (COMPLETE then a late START stays COMPLETE, with its start time)."""
    state = event.event_type or RunState.OTHER
    nominal = event.run_facets.get("nominalTime") or {}
    parent = ((event.run_facets.get("parent") or {}).get("run") or {}).get("runId")
    try:
        parent_id = uuid.UUID(parent) if parent else None
    except ValueError:
        parent_id = None
    run = Run.objects.select_for_update().filter(run_id=event.run_id).first()
    if run is None:
        with connection.cursor() as cursor:  # two first events of a run at once: one row
            cursor.execute(
                "INSERT INTO dictamesh_lineage_run (run_id, job_id, state, state_time, facets, created_at,"
                " updated_at) VALUES (%s, %s, %s, %s, '{}'::jsonb, %s, %s) ON CONFLICT (run_id) DO NOTHING",
                [event.run_id, job_id, state, event.event_time, now, now],
            )
        run = Run.objects.select_for_update().get(run_id=event.run_id)
        fresh = True
    else:
        fresh = False
    if run.job_id != job_id:
        raise Conflict(
            f"Run {event.run_id} belongs to another job.", fields={"run.runId": "belongs to another job"}
        )
    rank = 3 if state in TERMINAL else _RANK.get(state, 0)
    current_rank = 3 if run.state in TERMINAL else _RANK.get(run.state, 0)
    if fresh or (rank, event.event_time) >= (current_rank, run.state_time):
        run.state, run.state_time = state, event.event_time
    if state == RunState.START and (run.started_at is None or event.event_time < run.started_at):
        run.started_at = event.event_time
    if state in TERMINAL and (run.ended_at is None or rank >= current_rank):
        run.ended_at = event.event_time
    if nominal.get("nominalStartTime"):
        run.nominal_start = _time_or_none(nominal.get("nominalStartTime"))
        run.nominal_end = _time_or_none(nominal.get("nominalEndTime"))
    run.parent_run_id = parent_id or run.parent_run_id
    run.facets = {**run.facets, **event.run_facets}
    run.updated_at = now
    run.save()
    return run


def _time_or_none(text) -> datetime | None:
    from .openlineage import parse_time

    try:
        return parse_time(text, "nominalTime") if text else None
    except ValidationError:
        return None


def _run_io(run_id: int, inputs: list[int], outputs: list[int]) -> None:
    rows = sorted({(d, "input") for d in inputs} | {(d, "output") for d in outputs})
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_run_io (run_id, dataset_id, direction)"
            " SELECT %s, d, io FROM unnest(%s::bigint[], %s::text[]) AS u(d, io) ON CONFLICT DO NOTHING",
            [run_id, [r[0] for r in rows], [r[1] for r in rows]],
        )


def _field_ids(keys: set[tuple[int, str]], now: datetime) -> dict[tuple[int, str], int]:
    """Ids of the fields ``(dataset id, name)``, created (typeless) when no schema named them yet."""
    ordered = sorted(keys)
    datasets, names = [k[0] for k in ordered], [k[1] for k in ordered]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_field (dataset_id, name, type, description, ordinal, created_at,"
            " updated_at) SELECT d, n, '', '', 0, %s, %s FROM unnest(%s::bigint[], %s::text[]) AS u(d, n)"
            " ON CONFLICT (dataset_id, name) DO NOTHING",
            [now, now, datasets, names],
        )
        cursor.execute(
            "SELECT f.dataset_id, f.name, f.id FROM dictamesh_lineage_field f"
            " JOIN unnest(%s::bigint[], %s::text[]) AS u(d, n) ON f.dataset_id = u.d AND f.name = u.n",
            [datasets, names],
        )
        return {(d, n): pk for d, n, pk in cursor.fetchall()}


def _column_lineage(output_id: int, facet: dict, job_id: int | None, namespaces: dict[str, int],
                    now: datetime) -> None:  # fmt: skip
    """``columnLineage``: each output field ← its input fields, with the transformation."""
    entries = []  # (output field, input ns, input dataset, input field, type, subtype, description, masking)
    for out_field, spec in (facet.get("fields") or {}).items():
        default_type = spec.get("transformationType") or ""
        default_description = spec.get("transformationDescription") or ""
        for source in spec.get("inputFields") or []:
            transformations = source.get("transformations") or [{}]
            first = transformations[0] if isinstance(transformations[0], dict) else {}
            entries.append(
                (
                    out_field,
                    source["namespace"],
                    source["name"],
                    source["field"],
                    (first.get("type") or default_type)[:50],
                    (first.get("subtype") or "")[:50],
                    first.get("description") or default_description,
                    any(bool(t.get("masking")) for t in transformations if isinstance(t, dict)),
                )
            )
    if not entries:
        return
    missing = {e[1] for e in entries} - set(namespaces)
    if missing:
        namespaces.update(_namespaces(missing, now))
    inputs, _ = _nodes([(NodeKind.DATASET, namespaces[e[1]], e[2]) for e in entries], now)
    keys = {(output_id, e[0]) for e in entries} | {
        (inputs[(NodeKind.DATASET, namespaces[e[1]], e[2])], e[3]) for e in entries
    }
    fields = _field_ids(keys, now)
    rows = {}
    for e in entries:
        source_field = fields[(inputs[(NodeKind.DATASET, namespaces[e[1]], e[2])], e[3])]
        target_field = fields[(output_id, e[0])]
        if source_field != target_field:
            rows[(source_field, target_field)] = e[4:]
    ordered = sorted(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_column_edge (input_id, output_id, job_id, transformation_type,"
            " transformation_subtype, description, masking, provenance, created_at, updated_at)"
            " SELECT i, o, %s, t, st, d, m, 'openlineage', %s, %s"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::bool[])"
            " AS u(i, o, t, st, d, m)"
            " ON CONFLICT (input_id, output_id) DO UPDATE SET job_id = COALESCE(EXCLUDED.job_id,"
            " dictamesh_lineage_column_edge.job_id), transformation_type = EXCLUDED.transformation_type,"
            " transformation_subtype = EXCLUDED.transformation_subtype, description = EXCLUDED.description,"
            " masking = EXCLUDED.masking, updated_at = EXCLUDED.updated_at",
            [
                job_id, now, now,
                [k[0] for k in ordered], [k[1] for k in ordered],
                [rows[k][0] for k in ordered], [rows[k][1] for k in ordered],
                [rows[k][2] for k in ordered], [rows[k][3] for k in ordered],
            ],
        )  # fmt: skip


# -- the catalog -------------------------------------------------------------------------------------------


def dataset_urn(namespace: str, name: str) -> str:
    """The catalog URN a dataset first seen by lineage gets: ``dm:<lineage source>:dataset:<ns>/<name>``."""
    return catalog.build_urn(
        source=settings.DICTAMESH_LINEAGE_CATALOG_SOURCE,
        entity_type="dataset",
        source_key=f"{namespace}/{name}",
    )


def _owner(name: str) -> str | None:
    """An OpenLineage owner name as a catalog principal: ``team:x``/``group:x`` → ``group:x``, else a user."""
    kind, _, rest = name.partition(":")
    if rest and kind in ("team", "group"):
        return f"group:{rest}"
    if rest and kind == "user":
        return f"user:{rest}"
    return f"user:{name}" if name.strip() and " " not in name.strip() else None


def _sync_catalog(changed: dict[int, DatasetIn], *, actor: str) -> None:
    """New datasets become catalog entities; documentation, ownership and fields fill them where empty."""
    catalog.ensure_home(
        source=settings.DICTAMESH_LINEAGE_CATALOG_SOURCE,
        source_kind="openlineage",
        domain=settings.DICTAMESH_LINEAGE_CATALOG_DOMAIN,
    )
    nodes = {n.pk: n for n in Node.objects.filter(pk__in=changed).select_related("namespace")}
    fields: dict[int, list[dict]] = {}
    for f in DatasetField.objects.filter(dataset_id__in=changed, removed_at__isnull=True).order_by(
        "ordinal", "name"
    ):
        fields.setdefault(f.dataset_id, []).append({"name": f.name, "type": f.type})
    items, links = [], {}
    for node_id, d in changed.items():
        node = nodes[node_id]
        urn = node.entity_urn or dataset_urn(d.namespace, d.name)
        links[node_id] = urn
        owners = [
            o
            for o in (
                _owner(x.get("name", "")) for x in (d.facets.get("ownership") or {}).get("owners") or []
            )
            if o
        ]
        items.append(
            {
                "urn": urn,
                "name": d.name[-255:],
                "domain": settings.DICTAMESH_LINEAGE_CATALOG_DOMAIN,
                "description": node.description,
                "owners": owners,
                "properties": {
                    "lineage": {
                        "node": f"dataset:{d.namespace}:{d.name}",
                        "namespace": d.namespace,
                        "source": node.source_name,
                        "fields": fields.get(node_id, []),
                        "version": node.version,
                    }
                },
            }
        )
    results = catalog.entities_fill(items=items, actor=actor or "system:lineage")
    for result in results:
        if result["status"] == "error":
            logger.warning("lineage: the catalog refused %s: %s", result["urn"], result["error"])
    for node_id, urn in links.items():
        if not nodes[node_id].entity_urn:
            Node.objects.filter(pk=node_id).update(entity_urn=urn)


# -- manual edits ------------------------------------------------------------------------------------------


def _node_by_id(node_id: str) -> Node:
    from .selectors import node_by_id

    return node_by_id(node_id)


def edge_add(*, origin: str, destination: str, confidence: float = 1.0, note: str = "",
             actor: str | None = None) -> dict:  # fmt: skip
    """A steward's edge between a dataset and a job (either way round). Existing edges keep their provenance."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise ValidationError("confidence is a number from 0 to 1.", fields={"confidence": "0..1"})
    source, target = _node_by_id(origin), _node_by_id(destination)
    if source.kind == target.kind:
        raise ValidationError(
            "An edge joins a dataset and a job (a job reads or writes a dataset).",
            fields={"destination": f"must not be a {target.kind} like the origin"},
        )
    actor = actor or current_actor() or ""
    with transaction.atomic():
        added = _edges([(source.pk, target.pk)], provenance=Provenance.MANUAL, now=timezone.now(),
                       confidence=float(confidence), note=note[:2000], actor=actor)  # fmt: skip
        if not added:
            raise Conflict(f"The edge {origin} → {destination} already exists.")
        publish_many([_edge_change(events.EDGE_ADDED, origin, destination, actor, float(confidence))])
    return {
        "origin": origin,
        "destination": destination,
        "provenance": "manual",
        "confidence": float(confidence),
    }


def edge_remove(*, origin: str, destination: str, actor: str | None = None) -> None:
    source, target = _node_by_id(origin), _node_by_id(destination)
    actor = actor or current_actor() or ""
    with transaction.atomic():
        deleted, _ = Edge.objects.filter(source=source, target=target).delete()
        if not deleted:
            raise NotFound(f"No edge {origin} → {destination}.")
        publish_many([_edge_change(events.EDGE_REMOVED, origin, destination, actor, None)])


def _edge_change(type_: str, origin: str, destination: str, actor: str, confidence: float | None) -> Change:
    return Change(
        type=type_,
        subject=origin,
        data={"origin": origin, "destination": destination, "confidence": confidence},
        actor=actor or None,
        json_ready=True,
    )


def column_edge_add(*, input_field: str, output_field: str, transformation_type: str = "DIRECT",
                    description: str = "", actor: str | None = None) -> dict:  # fmt: skip
    """A steward's column lineage: ``output_field`` ← ``input_field`` (``datasetField:NS:NAME:FIELD`` ids)."""
    from .selectors import field_by_id

    source, target = field_by_id(input_field, create=True), field_by_id(output_field, create=True)
    if source.pk == target.pk:
        raise ValidationError("A field does not derive from itself.", fields={"output": "same as input"})
    with transaction.atomic():
        edge, created = ColumnEdge.objects.get_or_create(
            input=source,
            output=target,
            defaults={
                "transformation_type": (transformation_type or "")[:50],
                "description": description,
                "provenance": Provenance.MANUAL,
            },
        )
        if not created:
            raise Conflict(f"{output_field} already derives from {input_field}.")
        publish_many(
            [_edge_change(events.EDGE_ADDED, input_field, output_field, actor or current_actor() or "", 1.0)]
        )
    return {"input": input_field, "output": output_field, "provenance": "manual"}


def dataset_link(*, node_id: str, urn: str) -> None:
    """Point a dataset at another catalog entity (an adapter's table the dataset really is)."""
    node = _node_by_id(node_id)
    if node.kind != NodeKind.DATASET:
        raise ValidationError("Only datasets link to catalog entities.", fields={"nodeId": "a dataset"})
    if catalog.entity_ref(urn=urn) is None:
        raise NotFound(f"No entity {urn}.")
    Node.objects.filter(pk=node.pk).update(entity_urn=urn, updated_at=timezone.now())
