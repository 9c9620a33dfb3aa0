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
import psycopg
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from apps.catalog import public as catalog
from dictamesh.db import execute_json
from dictamesh.errors import Conflict, DictaMeshError, NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change
from dictamesh.groupcommit import GroupCommit

from . import events
from .models import (
    ColumnEdge,
    DatasetField,
    Edge,
    Node,
    NodeKind,
    Provenance,
    RunState,
)
from .openlineage import ParsedEvent, parse
from .selectors import node_key

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
    """Store one OpenLineage event (validated first; ValidationError names what is wrong); committed when this
    returns. Outside a transaction, concurrent events of this process share transactions (group commit,
    ``DICTAMESH_LINEAGE_GROUP_COMMIT``); inside one, the event joins the caller's transaction."""
    event = parse(body)
    item = _Item(event, _payload(event, body), actor or current_actor() or "")
    if settings.DICTAMESH_LINEAGE_GROUP_COMMIT and not connection.in_atomic_block:
        return _COMMITTER.submit(item)
    return _ingest_one(item)


def ingest_many(bodies: list, *, actor: str | None = None) -> list[Ingested | DictaMeshError]:
    """Several events applied together (in order, as if one after the other): each one's result, or its error
    (an invalid or refused event fails alone)."""
    actor = actor or current_actor() or ""
    items: list[_Item] = []
    results: list[Ingested | DictaMeshError | None] = []
    for body in bodies:
        try:
            event = parse(body)
            items.append(_Item(event, _payload(event, body), actor))
            results.append(None)
        except DictaMeshError as exc:
            results.append(exc)
    applied = iter(_apply_many(items))
    return [next(applied) if r is None else r for r in results]


@dataclass
class _Item:
    event: ParsedEvent
    payload: dict
    actor: str


_APPLY = "SELECT dictamesh_lineage_apply(%s::jsonb, now())"
_APPLY_MANY = (  # the events in order, in one statement: as if one after the other
    "SELECT dictamesh_lineage_apply(b.p, now()) FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS b(p, i)"
    " ORDER BY b.i"
)


def _ingest_one(item: _Item) -> Ingested:
    """One event in its own transaction (or the caller's); a deadlock with a concurrent event is retried."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                try:
                    (row,) = execute_json(_APPLY, orjson.dumps(item.payload).decode())
                # psycopg's own errors too: the JSON is bound on the server, past Django's error wrapping
                except (DatabaseError, psycopg.Error) as exc:
                    if _sqlstate(exc) == "DMRUN":
                        raise Conflict(
                            f"Run {item.event.run_id} belongs to another job.",
                            fields={"run.runId": "belongs to another job"},
                        ) from exc
                    raise
                result, change = _after_apply(item, _loaded(row[0]))
                if change is not None:
                    publish_many([change])
                return result
        except (OperationalError, psycopg.OperationalError) as exc:
            if attempt == 2 or _sqlstate(exc) != "40P01" or connection.in_atomic_block:
                raise
            logger.info("lineage: deadlock with a concurrent event, retrying", exc_info=True)
    raise AssertionError("unreachable")


def _apply_many(items: list[_Item]) -> list[Ingested | BaseException]:
    """The writer's batch: every event in one statement and one transaction. If the batch fails (one event is
    refused, a deadlock), each event is applied alone, so that one event's error is that event's alone."""
    if len(items) > 1:
        try:
            with transaction.atomic():
                rows = execute_json(_APPLY_MANY, orjson.dumps([i.payload for i in items]).decode())
                applied = [_loaded(row[0]) for row in rows]
                created = {pk for a in applied for pk in a.get("created", [])}
                changed = {pk for a in applied for pk in a.get("catalog", [])}
                names = _dataset_keys(created)
                done = [_after_apply(item, a, names=names) for item, a in zip(items, applied, strict=True)]
                actors = {i.actor for i in items}
                _sync_catalog(created | changed, actor=actors.pop() if len(actors) == 1 else "")
                publish_many([change for _, change in done if change is not None])
                return [result for result, _ in done]
        except Exception:  # noqa: BLE001 - retried one by one below, where each error reaches its caller
            logger.info(
                "lineage: a batch of %d events failed; applying them one by one", len(items), exc_info=True
            )
    results: list[Ingested | BaseException] = []
    for item in items:
        try:
            results.append(_ingest_one(item))
        except Exception as exc:  # noqa: BLE001 - handed to the request that sent this event
            results.append(exc)
    return results


_COMMITTER: GroupCommit[_Item, Ingested] = GroupCommit(_apply_many, name="lineage-ingest")


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)


def _loaded(value) -> dict:
    return value if isinstance(value, dict) else orjson.loads(value)  # jsonb may come back as text


def _after_apply(
    item: _Item, applied: dict, *, names: dict[int, str] | None = None
) -> tuple[Ingested, Change | None]:
    """The event to publish (none for a duplicate); alone (no ``names``), the catalog of its new and changed
    datasets too (a batch syncs its catalog once, for all its events)."""
    event = item.event
    if applied["status"] == "duplicate":
        return Ingested("duplicate", event.kind, event.run_id), None
    result = Ingested("stored", event.kind, event.run_id, run_state=applied.get("run_state") or "")
    created = set(applied["created"])
    if names is None:
        names = _dataset_keys(created)
        _sync_catalog(created | set(applied.get("catalog", [])), actor=item.actor)
    result.new_datasets = sorted(names[pk] for pk in created if pk in names)
    return result, _ingested_change(event, result, actor=item.actor)


def _dataset_keys(ids: set[int]) -> dict[int, str]:
    """{id: dataset:NS:NAME} of the datasets among ``ids``."""
    if not ids:
        return {}
    return {
        n.pk: node_key(n)
        for n in Node.objects.filter(pk__in=ids, kind=NodeKind.DATASET).select_related("namespace")
    }


def _key(kind: str, namespace: str, name: str) -> str:
    return f"{kind}\x1f{namespace}\x1f{name}"  # names never hold control characters (the schema says so)


def _payload(event: ParsedEvent, body: dict) -> dict:
    """What ``dictamesh_lineage_apply`` takes (apps/lineage/sql/apply.sql): the event normalised."""
    datasets = ([event.dataset] if event.dataset else []) + event.inputs + event.outputs
    nodes = {(NodeKind.DATASET, d.namespace, d.name) for d in datasets}
    job = _key(NodeKind.JOB, *event.job) if event.job else None
    if event.job:
        nodes.add((NodeKind.JOB, *event.job))
    updates: dict[str, dict] = {}
    if job and event.job_facets:
        updates[job] = dict(event.job_facets)
    schemas: dict[str, list[dict]] = {}
    for d in datasets:
        key = _key(NodeKind.DATASET, d.namespace, d.name)
        if d.facets:
            updates[key] = {**updates.get(key, {}), **d.facets}
        schema = d.facets.get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
            schemas[key] = list({f["name"]: f for f in _flatten(schema["fields"])}.values())
    columns = []
    for d in event.outputs:
        facet = d.facets.get("columnLineage")
        if isinstance(facet, dict):
            columns += _columns(_key(NodeKind.DATASET, d.namespace, d.name), facet, nodes)
    inputs = [_key(NodeKind.DATASET, d.namespace, d.name) for d in event.inputs]
    outputs = [_key(NodeKind.DATASET, d.namespace, d.name) for d in event.outputs]
    edges = sorted({(i, job) for i in inputs} | {(job, o) for o in outputs}) if job else []
    return {
        "digest": digest_of(body),
        "kind": event.kind,
        "event_type": event.event_type,
        "event_time": event.event_time.isoformat(),
        "run_id": str(event.run_id) if event.run_id else None,
        "producer": event.producer[:1024],
        "payload": body,
        "namespaces": sorted({ns for _, ns, _ in nodes}),
        "nodes": [{"k": k, "ns": ns, "name": name} for k, ns, name in sorted(nodes)],
        "job": job,
        "updates": [
            {
                "key": key,
                "facets": facets,
                "description": _text(facets, "documentation", "description"),
                "source_name": (_text(facets, "dataSource", "name") or "")[:1024] or None,
                "job_type": (_text(facets, "jobType", "jobType") or "")[:100] or None,
                "catalog": key.startswith(NodeKind.DATASET),
            }
            for key, facets in sorted(updates.items())
        ],
        "schemas": [{"key": key, "fields": fields} for key, fields in sorted(schemas.items())],
        "edges": [list(e) for e in edges if e[0] != e[1]],
        "inputs": inputs,
        "outputs": outputs,
        "run": _run_part(event) if event.kind == "RunEvent" else None,
        "columns": columns,
    }


def _text(facets: dict, facet: str, key: str) -> str | None:
    value = (facets.get(facet) or {}).get(key)
    return value if isinstance(value, str) else None


def _run_part(event: ParsedEvent) -> dict:
    nominal = event.run_facets.get("nominalTime") or {}
    parent = ((event.run_facets.get("parent") or {}).get("run") or {}).get("runId")
    try:
        parent_id = str(uuid.UUID(parent)) if isinstance(parent, str) else None
    except ValueError:
        parent_id = None
    start = _time_or_none(nominal.get("nominalStartTime"))
    end = _time_or_none(nominal.get("nominalEndTime"))
    return {
        "state": event.event_type or RunState.OTHER,
        "facets": event.run_facets,
        "nominal_start": start.isoformat() if start else None,
        "nominal_end": end.isoformat() if end else None,
        "parent": parent_id,
    }


def _columns(output: str, facet: dict, nodes: set) -> list[dict]:
    """``columnLineage``: each output field ← its input fields, with the first transformation's details."""
    out = []
    for out_field, spec in (facet.get("fields") or {}).items():
        default_type = spec.get("transformationType") or ""
        default_description = spec.get("transformationDescription") or ""
        for source in spec.get("inputFields") or []:
            transformations = [t for t in source.get("transformations") or [] if isinstance(t, dict)] or [{}]
            first = transformations[0]
            nodes.add((NodeKind.DATASET, source["namespace"], source["name"]))
            out.append(
                {
                    "okey": output,
                    "out_field": out_field,
                    "ikey": _key(NodeKind.DATASET, source["namespace"], source["name"]),
                    "in_field": source["field"],
                    "type": (first.get("type") or default_type)[:50],
                    "subtype": (first.get("subtype") or "")[:50],
                    "description": first.get("description") or default_description,
                    "masking": any(bool(t.get("masking")) for t in transformations),
                }
            )
    return out


def _ingested_change(event: ParsedEvent, result: Ingested, *, actor: str) -> Change:
    return Change(
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
            "dataset": f"dataset:{event.dataset.namespace}:{event.dataset.name}" if event.dataset else None,
            "new_datasets": result.new_datasets,
        },
        actor=actor or None,
        json_ready=True,
    )


def _subject(event: ParsedEvent) -> str:
    if event.dataset is not None:
        return f"dataset:{event.dataset.namespace}:{event.dataset.name}"
    assert event.job is not None
    return f"job:{event.job[0]}:{event.job[1]}"


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


def _time_or_none(text) -> datetime | None:
    from .openlineage import parse_time

    try:
        return parse_time(text, "nominalTime") if text else None
    except ValidationError:
        return None


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


def _sync_catalog(node_ids: set[int], *, actor: str) -> None:
    """New datasets become catalog entities; documentation, ownership and fields fill them where empty."""
    nodes = list(Node.objects.filter(pk__in=node_ids, kind=NodeKind.DATASET).select_related("namespace"))
    if not nodes:
        return
    catalog.ensure_home(
        source=settings.DICTAMESH_LINEAGE_CATALOG_SOURCE,
        source_kind="openlineage",
        domain=settings.DICTAMESH_LINEAGE_CATALOG_DOMAIN,
    )
    fields: dict[int, list[dict]] = {}
    live = DatasetField.objects.filter(dataset__in=nodes, removed_at__isnull=True).order_by("ordinal", "name")
    for f in live.values("dataset_id", "name", "type"):
        fields.setdefault(f["dataset_id"], []).append({"name": f["name"], "type": f["type"]})
    items = []
    for node in nodes:
        if not node.entity_urn:
            node.entity_urn = dataset_urn(node.namespace.name, node.name)
        owners = (node.facets.get("ownership") or {}).get("owners") or []
        items.append(
            {
                "urn": node.entity_urn,
                "name": node.name[-255:],
                "domain": settings.DICTAMESH_LINEAGE_CATALOG_DOMAIN,
                "description": node.description,
                "owners": [
                    o for o in (_owner(x.get("name", "")) for x in owners if isinstance(x, dict)) if o
                ],
                "properties": {
                    "lineage": {
                        "node": node_key(node),
                        "namespace": node.namespace.name,
                        "source": node.source_name,
                        "fields": fields.get(node.pk, []),
                        "version": node.version,
                    }
                },
            }
        )
    for result in catalog.entities_fill(items=items, actor=actor or "system:lineage"):
        if result["status"] == "error":
            logger.warning("lineage: the catalog refused %s: %s", result["urn"], result.get("error"))
    for node in nodes:
        Node.objects.filter(pk=node.pk, entity_urn="").update(entity_urn=node.entity_urn)


# -- impact ------------------------------------------------------------------------------------------------


def impact_detected(report: dict) -> None:
    """Publish ``dictamesh.lineage.impact.detected`` (topic ``dictamesh.lineage.impact.v1``, keyed by the
    subject) for a schema version that breaks fields used downstream (``impact.breaking_changes``)."""
    with transaction.atomic():
        publish_many(
            [
                Change(
                    type=events.IMPACT_DETECTED,
                    subject=report["subject"],
                    data=report,
                    key=report["subject"],
                    json_ready=True,
                )
            ]  # fmt: skip
        )


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


@transaction.atomic
def dataset_link(*, node_id: str, urn: str) -> None:
    """Point a dataset at another catalog entity (an adapter's table the dataset really is): impact analysis
    then names that entity's owners, and the lineage view opens it."""
    node = _node_by_id(node_id)
    if node.kind != NodeKind.DATASET:
        raise ValidationError("Only datasets link to catalog entities.", fields={"nodeId": "a dataset"})
    if catalog.entity_ref(urn=urn) is None:
        raise NotFound(f"No entity {urn}.")
    Node.objects.filter(pk=node.pk).update(entity_urn=urn, updated_at=timezone.now())
    publish_many([_edge_change(events.DATASET_LINKED, node_id, urn, current_actor() or "", None)])
