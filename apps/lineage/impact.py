"""Impact analysis (reads): everything downstream of a dataset, a field, or a proposed schema, with the path
that reaches it and the owners to tell; and what a registered schema version breaks downstream (the impact
event is published by ``services.impact_detected``)."""

from __future__ import annotations

import logging

from django.conf import settings

from apps.catalog import public as catalog
from apps.schemas import public as schemas
from dictamesh.errors import NotFound, ValidationError

from .graph import neighbourhood, paths_to
from .models import ColumnEdge, DatasetField, Node, NodeKind
from .selectors import field_key, node_key

logger = logging.getLogger("dictamesh.lineage")


def _owners(urns: set[str]) -> dict[str, list[str]]:
    return catalog.entity_owners(urns=sorted(u for u in urns if u))


def of_nodes(start: list[Node], depth: int) -> dict:
    """Datasets and jobs downstream of ``start`` within ``depth`` hops."""
    area = neighbourhood("node", [n.pk for n in start], depth=depth, upstream=False)
    paths = paths_to(area.hops, area.edges)
    nodes = {n.pk: n for n in Node.objects.filter(pk__in=list(area.hops)).select_related("namespace")}
    owners = _owners({n.entity_urn for n in nodes.values()})
    datasets, jobs = [], []
    for pk, hops in sorted(area.hops.items(), key=lambda item: (item[1], node_key(nodes[item[0]]))):
        if hops == 0:
            continue
        n = nodes[pk]
        item = {
            "id": node_key(n),
            "hops": hops,
            "path": [node_key(nodes[p]) for p in paths[pk]],
            "urn": n.entity_urn or None,
            "owners": owners.get(n.entity_urn, []) if n.kind == NodeKind.DATASET else _job_owners(n),
        }
        (datasets if n.kind == NodeKind.DATASET else jobs).append(item)
    return {
        "source": [node_key(n) for n in start],
        "depth": depth,
        "datasets": datasets,
        "jobs": jobs,
        "fields": [],
        "truncated": area.truncated,
    }


def _job_owners(job: Node) -> list[str]:
    return sorted(
        o.get("name", "") for o in (job.facets.get("ownership") or {}).get("owners") or [] if o.get("name")
    )


def of_fields(start: list[DatasetField], depth: int) -> dict:
    """Fields downstream of ``start`` (column lineage), the datasets that hold them and the jobs that derive them."""
    area = neighbourhood("field", [f.pk for f in start], depth=depth, upstream=False)
    paths = paths_to(area.hops, area.edges)
    rows = {
        f.pk: f
        for f in DatasetField.objects.filter(pk__in=list(area.hops)).select_related("dataset__namespace")
    }
    starts = {f.dataset_id for f in start}
    owners = _owners({f.dataset.entity_urn for f in rows.values()})
    fields, datasets = [], {}
    for pk, hops in sorted(area.hops.items(), key=lambda item: (item[1], field_key(rows[item[0]]))):
        if hops == 0:
            continue
        f = rows[pk]
        path = [field_key(rows[p]) for p in paths[pk]]
        fields.append({"id": field_key(f), "hops": hops, "path": path, "dataset": node_key(f.dataset)})
        if f.dataset_id not in starts and f.dataset_id not in datasets:
            datasets[f.dataset_id] = {
                "id": node_key(f.dataset),
                "hops": hops,
                "path": path,
                "urn": f.dataset.entity_urn or None,
                "owners": owners.get(f.dataset.entity_urn, []),
            }
    jobs = {}
    for edge in ColumnEdge.objects.filter(
        input_id__in=list(area.hops), output_id__in=list(area.hops), job__isnull=False
    ).select_related("job__namespace"):
        key = node_key(edge.job)
        hops = abs(area.hops[edge.output_id])
        if key not in jobs or jobs[key]["hops"] > hops:
            jobs[key] = {"id": key, "hops": hops, "path": [field_key(rows[p]) for p in paths[edge.output_id]],
                         "urn": None, "owners": _job_owners(edge.job)}  # fmt: skip
    return {
        "source": [field_key(f) for f in start],
        "depth": depth,
        "datasets": sorted(datasets.values(), key=lambda d: (d["hops"], d["id"])),
        "jobs": sorted(jobs.values(), key=lambda j: (j["hops"], j["id"])),
        "fields": fields,
        "truncated": area.truncated,
    }


def schema_changes(before: dict[str, str], after: dict[str, str]) -> list[dict]:
    changes = []
    for name in sorted(before):
        if name not in after:
            changes.append({"field": name, "change": "removed", "before": before[name], "after": None})
        elif after[name] != before[name]:
            changes.append(
                {"field": name, "change": "type_changed", "before": before[name], "after": after[name]}
            )
    return changes


def _subject_fields(subject: str, names: set[str]) -> tuple[list[Node], list[DatasetField]]:
    """The lineage datasets whose catalog entity has ``subject`` as its data contract, and their fields named."""
    urns = catalog.entities_with_schema(subject=subject)
    datasets = list(
        Node.objects.filter(kind=NodeKind.DATASET, entity_urn__in=urns).select_related("namespace")
    )
    fields = list(
        DatasetField.objects.filter(dataset__in=datasets, name__in=names).select_related("dataset__namespace")
    )
    return datasets, fields


def of_schema(*, subject: str, schema: str, schema_type: str, depth: int) -> dict:
    """What a candidate schema for ``subject`` would break downstream: its removed and retyped fields' impact."""
    latest = schemas.latest_schema(subject=subject)
    if latest is None:
        raise NotFound(f"No subject {subject!r}.")
    if schema_type not in ("AVRO", "JSON", "PROTOBUF", "GRAPHQL"):
        raise ValidationError(
            "schemaType is AVRO, JSON, PROTOBUF or GRAPHQL.", fields={"schemaType": "unknown"}
        )
    changes = schema_changes(
        schemas.fields_of(schema_type=latest[0], schema=latest[1]),
        schemas.fields_of(schema_type=schema_type, schema=schema),
    )
    datasets, fields = _subject_fields(subject, {c["field"] for c in changes})
    result = (
        of_fields(fields, depth) if fields else {"datasets": [], "jobs": [], "fields": [], "truncated": False}
    )
    return {
        **result,
        "subject": subject,
        "changes": changes,
        "source": [node_key(d) for d in datasets],
        "depth": depth,
    }


# -- the impact event ------------------------------------------------------------------------------------------


def breaking_changes(*, subject: str, version: int) -> dict | None:
    """What version ``version`` of ``subject`` breaks downstream: its removed and retyped fields that have
    column lineage downstream, with their impact; None when it breaks nothing used."""
    if version <= 1:
        return None
    new = schemas.version_schema(subject=subject, version=version)
    old = None
    for previous in range(version - 1, 0, -1):
        old = schemas.version_schema(subject=subject, version=previous)
        if old is not None:
            break
    if new is None or old is None:
        return None
    try:
        changes = schema_changes(
            schemas.fields_of(schema_type=old[0], schema=old[1]),
            schemas.fields_of(schema_type=new[0], schema=new[1]),
        )
    except ValidationError:
        logger.warning("lineage: cannot read the fields of %s version %s", subject, version, exc_info=True)
        return None
    if not changes:
        return None
    _datasets, fields = _subject_fields(subject, {c["field"] for c in changes})
    used = [f for f in fields if f.downstream.exists()]
    if not used:
        return None
    impact = of_fields(used, settings.DICTAMESH_LINEAGE_MAX_DEPTH)
    return {
        "subject": subject,
        "version": version,
        "changes": [c for c in changes if c["field"] in {f.name for f in used}],
        "datasets": impact["datasets"],
        "jobs": impact["jobs"],
        "fields": impact["fields"],
        "owners": sorted({o for d in impact["datasets"] for o in d["owners"]}),
        "truncated": impact["truncated"],
    }
