"""Reads of lineage: node ids (Marquez's ``dataset:NS:NAME``, ``job:NS:NAME``, ``datasetField:NS:NAME:FIELD``),
the Marquez shapes of namespaces, datasets, jobs and runs, and their lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from dictamesh.cache import TwoLevelCache
from dictamesh.db import execute_prepared
from dictamesh.errors import NotFound, ValidationError

from .hiding import hidden  # inside a read's scope: datasets the caller may not see
from .models import DatasetField, Freshness, Namespace, Node, NodeKind, Run, RunState

MARQUEZ_STATE = {  # OpenLineage event types -> Marquez run states
    RunState.START: "RUNNING",
    RunState.RUNNING: "RUNNING",
    RunState.COMPLETE: "COMPLETED",
    RunState.ABORT: "ABORTED",
    RunState.FAIL: "FAILED",
    RunState.OTHER: "NEW",
}
_PREFIX = {"dataset": NodeKind.DATASET, "job": NodeKind.JOB}


def iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Space:
    name: str


@dataclass
class NodeRow:
    """A node as the graph answers read it: what ``Node`` holds, fetched in bulk without model instances."""

    pk: int
    kind: str
    namespace: _Space
    name: str
    entity_urn: str
    description: str
    source_name: str
    job_type: str
    facets: dict
    version: int
    created_at: str
    updated_at: str


_ISO = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def ids_array(ids) -> str:
    """Ids as a PostgreSQL array literal (``%s::bigint[]``): thousands of them bind in one string join, not
    one Python adaptation each."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def node_rows(ids: list[int]) -> dict[int, NodeRow]:
    """{id: NodeRow} of the nodes ``ids`` in one query (thousands at a time: the ids travel as one array)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.id, n.kind, s.name, n.name, n.entity_urn, n.description, n.source_name, n.job_type,"  # noqa: S608
            f" n.facets::text, n.version, to_char(n.created_at AT TIME ZONE 'UTC', '{_ISO}'),"
            f" to_char(n.updated_at AT TIME ZONE 'UTC', '{_ISO}')"
            " FROM dictamesh_lineage_node n JOIN dictamesh_lineage_namespace s ON s.id = n.namespace_id"
            " WHERE n.id = ANY(%s::bigint[])",
            [ids_array(ids)],
        )
        rows = cursor.fetchall()
    return {
        r[0]: NodeRow(
            r[0], r[1], _Space(r[2]), r[3], r[4], r[5], r[6], r[7], orjson.loads(r[8]), r[9], r[10], r[11]
        )
        for r in rows
    }


# {(namespace, name): URN} of the datasets linked elsewhere than the catalog entity lineage gives them
# (``ingestion.dataset_urn``, under the current DICTAMESH_LINEAGE_CATALOG_SOURCE): a dataset pointed at an
# adapter's entity (services.dataset_link), or linked under an older lineage source. Every other dataset is
# linked to its own URN or to none. What lineage ingestion's write check reads for every dataset an event
# names, so kept whole, under one key, in each process's memory (dictamesh.cache): dropped everywhere by
# dataset_link when it commits, and reloaded (one scan of the linked datasets) at the latest after the L1
# TTL.
LINKS_CACHE = TwoLevelCache(
    "lineage.links",
    l1_size=lambda: 1,
    l1_ttl=lambda: settings.DICTAMESH_CATALOG_L1_TTL_SECONDS,
    shared=False,
)
LINKED_ELSEWHERE = "elsewhere"
_ELSEWHERE_SQL = (
    "SELECT s.name, n.name, n.entity_urn FROM dictamesh_lineage_node n"
    " JOIN dictamesh_lineage_namespace s ON s.id = n.namespace_id"
    " WHERE n.kind = 'dataset' AND n.entity_urn <> ''"
    " AND n.entity_urn <> 'dm:' || %s::text || ':dataset:' || s.name || '/' || n.name"
)
_ELSEWHERE_AMONG_SQL = (  # the same, among the datasets of two arrays (namespaces, names)
    "SELECT s.name, n.name, n.entity_urn FROM unnest(%s::text[], %s::text[]) AS p(namespace, name)"
    " JOIN dictamesh_lineage_namespace s ON s.name = p.namespace"
    " JOIN dictamesh_lineage_node n ON n.namespace_id = s.id AND n.kind = 'dataset' AND n.name = p.name"
    " WHERE n.entity_urn <> ''"
    " AND n.entity_urn <> 'dm:' || %s::text || ':dataset:' || s.name || '/' || n.name"
)


def linked_elsewhere(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(namespace, name): entity URN} of the datasets among ``pairs`` linked elsewhere than their own URN:
    from the whole map (``LINKS_CACHE``), or, while this process cannot keep it (Redis away: no invalidation
    would reach it), one query for these datasets only."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return {}
    source = settings.DICTAMESH_LINEAGE_CATALOG_SOURCE
    if not LINKS_CACHE.holds():
        rows = execute_prepared(
            _ELSEWHERE_AMONG_SQL, [[ns for ns, _ in wanted], [name for _, name in wanted], source]
        )
        return {(namespace, name): urn for namespace, name, urn in rows}

    def load(_keys: list[str]) -> dict[str, dict]:
        rows = execute_prepared(_ELSEWHERE_SQL, [source])
        return {LINKED_ELSEWHERE: {(namespace, name): urn for namespace, name, urn in rows}}

    found = LINKS_CACHE.load_many([LINKED_ELSEWHERE], load, ttl=3600)[LINKED_ELSEWHERE]
    return {pair: found[pair] for pair in wanted if pair in found}


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


def node_dicts(nodes: Iterable[Node | NodeRow]) -> dict[int, dict]:
    """Marquez's dataset and job shapes, by node id, in a constant number of queries."""
    nodes = list(nodes)
    ids = [n.pk for n in nodes]
    fields: dict[int, list[dict]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT dataset_id, name, type, description FROM dictamesh_lineage_field"
            " WHERE dataset_id = ANY(%s::bigint[]) AND removed_at IS NULL ORDER BY dataset_id, ordinal, name",
            [ids_array(ids)],
        )
        for dataset_id, name, type_, description in cursor.fetchall():
            fields.setdefault(dataset_id, []).append(
                {"name": name, "type": type_ or None, "tags": [], "description": description or None}
            )
    jobs = [n.pk for n in nodes if n.kind == NodeKind.JOB]
    io: dict[int, dict[str, list[dict]]] = {pk: {"inputs": [], "outputs": []} for pk in jobs}
    with connection.cursor() as cursor:  # each job's inputs and outputs, by the two edge indexes
        for side, this, other in (
            ("outputs", "source_id", "target_id"),
            ("inputs", "target_id", "source_id"),
        ):
            cursor.execute(
                f"SELECT e.{this}, s.name, n.name, n.id FROM dictamesh_lineage_edge e"  # noqa: S608 - constants
                f" JOIN dictamesh_lineage_node n ON n.id = e.{other}"
                " JOIN dictamesh_lineage_namespace s ON s.id = n.namespace_id"
                f" WHERE e.{this} = ANY(%s::bigint[])",
                [ids_array(jobs)],
            )
            rows = cursor.fetchall()
            gone = hidden("node", sorted({row[3] for row in rows}))
            for job, namespace, name, node_id in rows:
                if node_id not in gone:
                    io[job][side].append({"namespace": namespace, "name": name})
    latest = {
        r.job_id: r
        for r in Run.objects.raw(
            "SELECT DISTINCT ON (job_id) * FROM dictamesh_lineage_run WHERE job_id = ANY(%s::bigint[])"
            " ORDER BY job_id, created_at DESC",
            [ids_array(jobs)],
        )
    }
    written = last_written([n.pk for n in nodes if n.kind == NodeKind.DATASET])
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
                "lastModifiedAt": iso(written.get(n.pk)),
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
                "inputs": sorted(io[n.pk]["inputs"], key=lambda d: (d["namespace"], d["name"])),
                "outputs": sorted(io[n.pk]["outputs"], key=lambda d: (d["namespace"], d["name"])),
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


def nodes_in(
    namespace: str, kind: str, *, limit: int, offset: int, hidden: tuple[str, list] | None = None
) -> tuple[list[dict], int]:
    """A page of a namespace's datasets or jobs; ``hidden``: SQL over the node (alias ``n``) true for those
    the caller may not see (governance), left out of the page and the count."""
    ns = Namespace.objects.filter(name=namespace).first()
    if ns is None:
        raise NotFound(f"No namespace {namespace!r}.")
    query = Node.objects.filter(namespace=ns, kind=kind).select_related("namespace").order_by("name")
    if hidden is not None:
        sql, params = hidden
        nodes = f"SELECT n.id FROM dictamesh_lineage_node n WHERE n.namespace_id = %s AND {sql}"  # noqa: S608
        query = query.exclude(pk__in=RawSQL(nodes, [ns.pk, *params]))  # noqa: S611 - policy SQL, params
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


def job_of_run(run_id: str) -> Node:
    run = Run.objects.filter(run_id=run_id).select_related("job__namespace").first()
    if run is None:
        raise NotFound(f"No run {run_id!r}.")
    return run.job


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


# -- freshness ---------------------------------------------------------------------------------------------


def last_written(dataset_ids: list[int]) -> dict[int, datetime]:
    """When a completed run last wrote each dataset (Marquez's ``lastModifiedAt``), in one query."""
    if not dataset_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT io.dataset_id, max(coalesce(r.ended_at, r.state_time)) FROM dictamesh_lineage_run_io io"
            " JOIN dictamesh_lineage_run r ON r.id = io.run_id"
            " WHERE io.dataset_id = ANY(%s::bigint[]) AND io.direction = 'output' AND r.state = %s"
            " GROUP BY io.dataset_id",
            [ids_array(dataset_ids), RunState.COMPLETE],
        )
        return dict(cursor.fetchall())


def freshness_state(row: Freshness, written: datetime | None, now: datetime) -> dict:
    """One SLA as the API shows it: when it was last written, when the next write is due, and whether it is
    late now (``breachedAt``: since when the periodic check has found it late)."""
    due = (written or row.created_at) + timedelta(seconds=row.sla_seconds)
    node = row.dataset
    return {
        "nodeId": node.node_id,
        "namespace": node.namespace.name,
        "name": node.name,
        "urn": node.entity_urn or None,
        "slaSeconds": row.sla_seconds,
        "lastWrittenAt": iso(written),
        "dueAt": iso(due),
        "status": "late" if now > due else "fresh",
        "breachedAt": iso(row.breached_at),
        "checkedAt": iso(row.checked_at),
        "createdBy": row.created_by or None,
    }


def freshness_list(
    *, late: bool | None = None, limit: int = 100, offset: int = 0, hidden: tuple[str, list] | None = None
) -> tuple[list[dict], int]:
    """The datasets' SLAs, by namespace and name; ``late``: only those late now (True) or on time (False);
    ``hidden``: SQL over the node (alias ``n``) true for those the caller may not see."""
    from django.utils import timezone

    query = Freshness.objects.select_related("dataset__namespace").order_by(
        "dataset__namespace__name", "dataset__name"
    )
    if hidden is not None:
        sql, params = hidden
        nodes = f"SELECT n.id FROM dictamesh_lineage_node n WHERE {sql}"  # noqa: S608 - policy SQL, params
        query = query.exclude(dataset_id__in=RawSQL(nodes, params))  # noqa: S611
    now = timezone.now()
    if late is None:
        total = query.count()
        rows = list(query[offset : offset + limit])
        written = last_written([r.dataset_id for r in rows])
        return [freshness_state(r, written.get(r.dataset_id), now) for r in rows], total
    rows = list(query)  # lateness depends on the runs: filtered here (SLAs are counted in thousands at most)
    written = last_written([r.dataset_id for r in rows])
    states = [freshness_state(r, written.get(r.dataset_id), now) for r in rows]
    states = [s for s in states if (s["status"] == "late") == late]
    return states[offset : offset + limit], len(states)


def freshness_of(node: Node) -> dict:
    from django.utils import timezone

    row = Freshness.objects.filter(dataset=node).select_related("dataset__namespace").first()
    if row is None:
        raise NotFound(f"No freshness SLA on {node.node_id!r}.")
    return freshness_state(row, last_written([node.pk]).get(node.pk), timezone.now())


def freshness_breached_count() -> int:
    """Datasets whose freshness check finds them late."""
    from .models import Freshness

    return Freshness.objects.filter(breached_at__isnull=False).count()
