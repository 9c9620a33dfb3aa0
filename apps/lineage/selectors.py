"""Reads of lineage: node ids (Marquez's ``dataset:NS:NAME``, ``job:NS:NAME``, ``datasetField:NS:NAME:FIELD``),
the Marquez shapes of namespaces, datasets, jobs and runs, and their lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Q

from dictamesh.errors import NotFound, ValidationError

from .models import DatasetField, Edge, Namespace, Node, NodeKind, Run, RunState

MARQUEZ_STATE = {  # OpenLineage event types -> Marquez run states
    RunState.START: "RUNNING",
    RunState.RUNNING: "RUNNING",
    RunState.COMPLETE: "COMPLETED",
    RunState.ABORT: "ABORTED",
    RunState.FAIL: "FAILED",
    RunState.OTHER: "NEW",
}
_PREFIX = {"dataset": NodeKind.DATASET, "job": NodeKind.JOB}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def node_key(node: Node) -> str:
    return f"{node.kind}:{node.namespace.name}:{node.name}"


def _split(rest: str) -> list[tuple[str, str]]:
    """Every (namespace, name) a ``NS:NAME`` text can mean: namespaces hold colons (``postgres://h:5432``)."""
    return [(rest[:i], rest[i + 1 :]) for i, char in enumerate(rest) if char == ":" and 0 < i < len(rest) - 1]


def _lookup(kind: str, candidates: list[tuple[str, str]]) -> Node | None:
    if not candidates:
        return None
    query = Q()
    for namespace, name in candidates:
        query |= Q(namespace__name=namespace, name=name)
    found = list(Node.objects.filter(query, kind=kind).select_related("namespace"))
    return max(found, key=lambda n: len(n.namespace.name)) if found else None  # the longest namespace wins


def parse_node_id(node_id: str) -> tuple[str, list[tuple[str, str]]]:
    prefix, _, rest = (node_id or "").partition(":")
    if prefix not in _PREFIX or not _split(rest):
        raise ValidationError(
            f"{node_id!r} is not a node id: dataset:<namespace>:<name> or job:<namespace>:<name>.",
            fields={"nodeId": "dataset:<namespace>:<name> | job:<namespace>:<name>"},
        )
    return _PREFIX[prefix], _split(rest)


def node_by_id(node_id: str) -> Node:
    kind, candidates = parse_node_id(node_id)
    node = _lookup(kind, candidates)
    if node is None:
        raise NotFound(f"No {kind} {node_id!r}.")
    return node


def node_by_urn(urn: str) -> Node:
    """The dataset linked to a catalog entity."""
    node = Node.objects.filter(entity_urn=urn, kind=NodeKind.DATASET).select_related("namespace").first()
    if node is None:
        raise NotFound(f"No dataset in lineage is linked to {urn}.")
    return node


def field_by_id(field_id: str, *, create: bool = False) -> DatasetField:
    """``datasetField:<namespace>:<dataset>:<field>`` (the field is what follows the last colon)."""
    prefix, _, rest = (field_id or "").partition(":")
    dataset_part, _, name = rest.rpartition(":")
    if prefix != "datasetField" or not name or not _split(dataset_part):
        raise ValidationError(
            f"{field_id!r} is not a field id: datasetField:<namespace>:<dataset>:<field>.",
            fields={"nodeId": "datasetField:<namespace>:<dataset>:<field>"},
        )
    dataset = _lookup(NodeKind.DATASET, _split(dataset_part))
    if dataset is None:
        raise NotFound(f"No dataset for {field_id!r}.")
    found = (
        DatasetField.objects.filter(dataset=dataset, name=name).select_related("dataset__namespace").first()
    )
    if found is None and create:
        found = DatasetField.objects.create(dataset=dataset, name=name)
        found.dataset = dataset
    if found is None:
        raise NotFound(f"No field {name!r} in dataset:{dataset.namespace.name}:{dataset.name}.")
    return found


def field_key(f: DatasetField) -> str:
    return f"datasetField:{f.dataset.namespace.name}:{f.dataset.name}:{f.name}"


# -- Marquez shapes ------------------------------------------------------------------------------------------


def namespace_dict(ns: Namespace) -> dict:
    return {
        "name": ns.name,
        "createdAt": iso(ns.created_at),
        "updatedAt": iso(ns.updated_at),
        "ownerName": ns.owner or "anonymous",
        "description": ns.description or None,
        "isHidden": False,
    }


def run_dict(run: Run) -> dict:
    duration = None
    if run.started_at and run.ended_at:
        duration = int((run.ended_at - run.started_at).total_seconds() * 1000)
    return {
        "id": str(run.run_id),
        "createdAt": iso(run.created_at),
        "updatedAt": iso(run.updated_at),
        "nominalStartTime": iso(run.nominal_start),
        "nominalEndTime": iso(run.nominal_end),
        "state": MARQUEZ_STATE.get(run.state, "NEW"),
        "eventType": run.state,
        "startedAt": iso(run.started_at),
        "endedAt": iso(run.ended_at),
        "durationMs": duration,
        "args": {},
        "parentRunId": str(run.parent_run_id) if run.parent_run_id else None,
        "facets": run.facets,
    }


def node_dicts(nodes: Iterable[Node]) -> dict[int, dict]:
    """Marquez's dataset and job shapes, by node id, in a constant number of queries."""
    nodes = list(nodes)
    ids = [n.pk for n in nodes]
    fields: dict[int, list[dict]] = {}
    for f in DatasetField.objects.filter(dataset_id__in=ids, removed_at__isnull=True).order_by(
        "ordinal", "name"
    ):
        fields.setdefault(f.dataset_id, []).append(
            {"name": f.name, "type": f.type or None, "tags": [], "description": f.description or None}
        )
    io: dict[int, dict[str, list[dict]]] = {}
    jobs = [n.pk for n in nodes if n.kind == NodeKind.JOB]
    for edge in Edge.objects.filter(Q(source_id__in=jobs) | Q(target_id__in=jobs)).select_related(
        "source__namespace", "target__namespace"
    ):
        if edge.source_id in jobs:
            io.setdefault(edge.source_id, {"inputs": [], "outputs": []})["outputs"].append(
                {"namespace": edge.target.namespace.name, "name": edge.target.name}
            )
        if edge.target_id in jobs:
            io.setdefault(edge.target_id, {"inputs": [], "outputs": []})["inputs"].append(
                {"namespace": edge.source.namespace.name, "name": edge.source.name}
            )
    latest = {
        r.job_id: r
        for r in Run.objects.filter(job_id__in=jobs).order_by("job_id", "-created_at").distinct("job_id")
    }
    out = {}
    for n in nodes:
        base = {
            "id": {"namespace": n.namespace.name, "name": n.name},
            "name": n.name,
            "namespace": n.namespace.name,
            "createdAt": iso(n.created_at),
            "updatedAt": iso(n.updated_at),
            "description": n.description or None,
            "facets": n.facets,
            "urn": n.entity_urn or None,
        }
        if n.kind == NodeKind.DATASET:
            out[n.pk] = {
                **base,
                "type": "DB_TABLE",
                "physicalName": n.name,
                "sourceName": n.source_name or None,
                "fields": fields.get(n.pk, []),
                "tags": [],
                "lastModifiedAt": None,
                "currentVersion": n.version or None,
                "deleted": False,
            }
        else:
            run = latest.get(n.pk)
            out[n.pk] = {
                **base,
                "type": (n.job_type or "BATCH").upper(),
                "simpleName": n.name.rsplit(".", 1)[-1],
                "parentJobName": None,
                "inputs": sorted(
                    io.get(n.pk, {}).get("inputs", []), key=lambda d: (d["namespace"], d["name"])
                ),
                "outputs": sorted(
                    io.get(n.pk, {}).get("outputs", []), key=lambda d: (d["namespace"], d["name"])
                ),
                "location": ((n.facets.get("sourceCodeLocation") or {}).get("url")),
                "latestRun": run_dict(run) if run else None,
            }
    return out


# -- lists under /api/v1/namespaces ----------------------------------------------------------------------


def namespaces() -> list[dict]:
    return [namespace_dict(ns) for ns in Namespace.objects.order_by("name")]


def namespace(name: str) -> dict:
    ns = Namespace.objects.filter(name=name).first()
    if ns is None:
        raise NotFound(f"No namespace {name!r}.")
    return namespace_dict(ns)


def nodes_in(namespace: str, kind: str, *, limit: int, offset: int) -> tuple[list[dict], int]:
    ns = Namespace.objects.filter(name=namespace).first()
    if ns is None:
        raise NotFound(f"No namespace {namespace!r}.")
    query = Node.objects.filter(namespace=ns, kind=kind).select_related("namespace").order_by("name")
    page = list(query[offset : offset + limit])
    shapes = node_dicts(page)
    return [shapes[n.pk] for n in page], query.count()


def node_in(namespace: str, kind: str, name: str) -> Node:
    node = (
        Node.objects.filter(namespace__name=namespace, kind=kind, name=name)
        .select_related("namespace")
        .first()
    )
    if node is None:
        raise NotFound(f"No {kind} {name!r} in namespace {namespace!r}.")
    return node


def runs_of(job: Node, *, limit: int, offset: int) -> tuple[list[dict], int]:
    query = Run.objects.filter(job=job).order_by("-created_at", "-id")
    return [run_dict(r) for r in query[offset : offset + limit]], query.count()


def run_by_id(run_id: str) -> dict:
    import uuid

    try:
        key = uuid.UUID(run_id)
    except ValueError as exc:
        raise NotFound(f"No run {run_id!r}.") from exc
    run = Run.objects.filter(run_id=key).first()
    if run is None:
        raise NotFound(f"No run {run_id!r}.")
    return run_dict(run)
