"""An OpenLineage event normalised into what the applier's SQL function takes
(``dictamesh_lineage_apply_pending``, apps/lineage/sql/apply_pending.sql): nodes, facet updates, fields,
edges, column lineage, the run and the event's summary. Pure: no database."""

from __future__ import annotations

import uuid
from datetime import datetime

from dictamesh.errors import ValidationError

from .models import NodeKind, RunState
from .openlineage import ParsedEvent, parse_time


def _key(kind: str, namespace: str, name: str) -> str:
    return f"{kind}\x1f{namespace}\x1f{name}"  # names never hold control characters (the schema says so)


def _payload(event: ParsedEvent) -> dict:
    """The event normalised: what ``dictamesh_lineage_apply_pending`` takes (apps/lineage/sql/apply_pending.sql)."""
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
        "event_time": event.event_time.isoformat(),
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
        "summary": _summary(event, nodes),
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


def _summary(event: ParsedEvent, nodes: set) -> dict:
    """What the applier publishes for the event (``dictamesh.lineage.graph.event_ingested``), but for what only
    applying tells: the run state it leads to and the datasets it created."""
    data = {
        "kind": event.kind,
        "event_type": event.event_type,
        "event_time": event.event_time.isoformat(),
        "run_id": str(event.run_id) if event.run_id else None,
        "job": f"job:{event.job[0]}:{event.job[1]}" if event.job else None,
        "inputs": [f"dataset:{d.namespace}:{d.name}" for d in event.inputs],
        "outputs": [f"dataset:{d.namespace}:{d.name}" for d in event.outputs],
        "dataset": f"dataset:{event.dataset.namespace}:{event.dataset.name}" if event.dataset else None,
    }
    return {
        "subject": str(event.run_id) if event.run_id else _subject(event),
        "data": data,
        "datasets": sorted(f"dataset:{ns}:{name}" for kind, ns, name in nodes if kind == NodeKind.DATASET),
        "state": (event.event_type or RunState.OTHER) if event.kind == "RunEvent" else None,
    }


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


def _time_or_none(text) -> datetime | None:
    try:
        return parse_time(text, "nominalTime") if text else None
    except ValidationError:
        return None
