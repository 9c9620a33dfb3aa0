"""The lineage graph in SQL: upstream/downstream walks of datasets and jobs, and of fields, as recursive CTEs.

Bounded (``depth`` at most DICTAMESH_LINEAGE_MAX_DEPTH, at most DICTAMESH_LINEAGE_MAX_NODES nodes, nearest
first) and cycle-safe: the CTE's UNION keeps each (node, depth) pair once, so a cycle ends at the depth
bound. Paths come from the edges among the nodes found (one more query), never the whole graph in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from dictamesh.errors import ValidationError

from . import governed
from .models import ColumnEdge, DatasetField, Node
from .selectors import field_key, ids_array, node_dicts, node_key, node_rows

_TABLES = {  # graph -> (edge table, upstream column, downstream column)
    "node": ("dictamesh_lineage_edge", "source_id", "target_id"),
    "field": ("dictamesh_lineage_column_edge", "input_id", "output_id"),
}
_WALK = """
WITH RECURSIVE walk(node, depth) AS (
    SELECT unnest(%(start)s::bigint[]), 0
  UNION
    SELECT e.{next}, w.depth + 1 FROM walk w JOIN {table} e ON e.{this} = w.node
    WHERE w.depth < %(depth)s
), first AS (SELECT node, depth FROM walk LIMIT %(cap)s)  -- breadth-first: the nearest rows come first
SELECT node, min(depth) AS depth, (SELECT count(*) FROM first) AS seen FROM first
GROUP BY node ORDER BY 2, 1 LIMIT %(limit)s
"""


def check_depth(depth) -> int:
    maximum = settings.DICTAMESH_LINEAGE_MAX_DEPTH
    if isinstance(depth, str):
        depth = int(depth) if depth.isdigit() else None
    if not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth <= maximum:
        raise ValidationError(
            f"depth is a whole number from 0 to {maximum}.", fields={"depth": f"0..{maximum}"}
        )
    return depth


def walk(
    graph: str, start: list[int], *, depth: int, downstream: bool, limit: int | None = None
) -> tuple[dict[int, int], bool]:
    """{id: hops} of at most ``limit`` ids ``depth`` hops up- or downstream of ``start`` (the start at 0
    hops), nearest first; and whether there was more. PostgreSQL stops walking once it has produced 4 rows
    (id, hops) per id asked, so the neighbourhood of a hub costs no more than a small one."""
    table, up, down = _TABLES[graph]
    this, next_ = (up, down) if downstream else (down, up)
    limit = limit or settings.DICTAMESH_LINEAGE_MAX_NODES
    cap = 4 * (limit + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            _WALK.format(table=table, this=this, next=next_),
            {"start": start, "depth": depth, "limit": limit + 1, "cap": cap},
        )
        rows = cursor.fetchall()
    cut = len(rows) > limit or bool(rows and rows[0][2] >= cap)
    return {node: hops for node, hops, _ in rows[:limit]}, cut


def edges_among(graph: str, ids: list[int]) -> list[tuple[int, int]]:
    table, up, down = _TABLES[graph]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {up}, {down} FROM {table} WHERE {up} = ANY(%s::bigint[]) AND {down} = ANY(%s::bigint[])",  # noqa: S608 - constants
            [ids_array(ids), ids_array(ids)],
        )
        return cursor.fetchall()


@dataclass
class Neighbourhood:
    hops: dict[int, int]  # id -> signed hops: < 0 upstream, > 0 downstream, 0 the start
    edges: list[tuple[int, int]]
    truncated: bool


def neighbourhood(graph: str, start: list[int], *, depth: int, upstream: bool = True,
                  downstream: bool = True) -> Neighbourhood:  # fmt: skip
    limit = settings.DICTAMESH_LINEAGE_MAX_NODES
    hops = dict.fromkeys(start, 0)
    truncated = False
    for direction, wanted in ((1, downstream), (-1, upstream)):
        if not wanted or depth == 0:
            continue
        found, cut = walk(graph, start, depth=depth, downstream=direction > 0)
        truncated |= cut
        for node, n in sorted(found.items(), key=lambda item: item[1]):
            if node in hops:
                continue
            if len(hops) >= limit:
                truncated = True
                break
            hops[node] = direction * n
    gone = governed.hidden(graph, [pk for pk, n in hops.items() if n != 0])
    for pk in gone:  # what the caller may not see is not shown, nor are its edges
        del hops[pk]
    return Neighbourhood(hops, edges_among(graph, list(hops)), truncated)


def paths_to(
    hops: dict[int, int], edges: list[tuple[int, int]], *, downstream: bool = True
) -> dict[int, list[int]]:
    """For each node, one shortest path from the start (ids, start first), through the edges given."""
    parent: dict[int, int] = {}
    for a, b in sorted(edges):
        src, dst = (a, b) if downstream else (b, a)
        if src in hops and dst in hops and abs(hops[dst]) == abs(hops[src]) + 1 and dst not in parent:
            parent[dst] = src
    paths = {}
    for node in hops:
        path, current = [node], node
        while current in parent and len(path) <= len(hops):
            current = parent[current]
            path.append(current)
        paths[node] = path[::-1]
    return paths


# -- the Marquez graphs --------------------------------------------------------------------------------------


def _with_job_io(area: Neighbourhood) -> Neighbourhood:
    """Every job shown with all its inputs and outputs, as Marquez shows them (a job's other inputs are not
    up- or downstream of the start, yet a job without them reads wrong)."""
    limit = settings.DICTAMESH_LINEAGE_MAX_NODES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM dictamesh_lineage_node WHERE id = ANY(%s::bigint[]) AND kind = 'job'",
            [ids_array(area.hops)],
        )
        jobs = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT source_id, target_id FROM dictamesh_lineage_edge WHERE source_id = ANY(%s::bigint[])"
            " UNION SELECT source_id, target_id FROM dictamesh_lineage_edge WHERE target_id = ANY(%s::bigint[])",
            [ids_array(jobs), ids_array(jobs)],
        )
        pairs = cursor.fetchall()
    hops, truncated = dict(area.hops), area.truncated
    hidden = governed.hidden("node", sorted({n for pair in pairs for n in pair} - set(hops)))
    pairs = [(a, b) for a, b in pairs if a not in hidden and b not in hidden]
    for a, b in sorted(pairs):
        for node, job, sign in ((a, b, -1), (b, a, 1)):
            if node not in hops and job in hops:
                if len(hops) >= limit:
                    truncated = True
                    continue
                hops[node] = hops[job] + sign if hops[job] else sign
    if len(hops) == len(area.hops):
        return area
    return Neighbourhood(hops, edges_among("node", list(hops)), truncated)


def lineage_graph(start: Node, depth: int) -> dict:
    """Marquez's ``GET /api/v1/lineage`` answer for a dataset or a job."""
    area = _with_job_io(neighbourhood("node", [start.pk], depth=depth))
    nodes = node_rows(list(area.hops))
    keys = {pk: node_key(n) for pk, n in nodes.items()}
    shapes = node_dicts(nodes.values())
    ins: dict[int, list[dict]] = {}
    outs: dict[int, list[dict]] = {}
    for a, b in area.edges:
        edge = {"origin": keys[a], "destination": keys[b]}
        outs.setdefault(a, []).append(edge)
        ins.setdefault(b, []).append(edge)
    graph = [
        {
            "id": keys[pk],
            "type": nodes[pk].kind.upper(),
            "data": shapes[pk],
            "inEdges": sorted(ins.get(pk, []), key=lambda e: e["origin"]),
            "outEdges": sorted(outs.get(pk, []), key=lambda e: e["destination"]),
        }
        for pk in sorted(area.hops, key=lambda pk: (abs(area.hops[pk]), keys[pk]))
    ]
    return {"graph": graph, "truncated": area.truncated}


def column_graph(fields: list[DatasetField], depth: int, *, downstream: bool) -> dict:
    """Marquez's ``GET /api/v1/column-lineage`` answer: fields upstream (and downstream) of ``fields``."""
    area = neighbourhood("field", [f.pk for f in fields], depth=depth, downstream=downstream)
    rows = {
        f.pk: f
        for f in DatasetField.objects.filter(pk__in=list(area.hops)).select_related("dataset__namespace")
    }
    keys = {pk: field_key(f) for pk, f in rows.items()}
    details = {
        (e.input_id, e.output_id): e
        for e in ColumnEdge.objects.filter(output_id__in=list(area.hops), input_id__in=list(area.hops))
    }
    ins: dict[int, list[dict]] = {}
    outs: dict[int, list[dict]] = {}
    inputs: dict[int, list[dict]] = {}
    for a, b in area.edges:
        edge = {"origin": keys[a], "destination": keys[b]}
        outs.setdefault(a, []).append(edge)
        ins.setdefault(b, []).append(edge)
        detail = details.get((a, b))
        inputs.setdefault(b, []).append(
            {
                "namespace": rows[a].dataset.namespace.name,
                "dataset": rows[a].dataset.name,
                "field": rows[a].name,
                "transformationDescription": detail.description if detail else None,
                "transformationType": detail.transformation_type if detail else None,
            }
        )
    graph = []
    for pk in sorted(area.hops, key=lambda pk: (abs(area.hops[pk]), keys[pk])):
        f = rows[pk]
        first = (inputs.get(pk) or [{}])[0]
        graph.append(
            {
                "id": keys[pk],
                "type": "DATASET_FIELD",
                "data": {
                    "namespace": f.dataset.namespace.name,
                    "dataset": f.dataset.name,
                    "datasetVersion": f.dataset.version or None,
                    "field": f.name,
                    "fieldType": f.type or None,
                    "transformationDescription": first.get("transformationDescription"),
                    "transformationType": first.get("transformationType"),
                    "inputFields": sorted(
                        inputs.get(pk, []), key=lambda i: (i["namespace"], i["dataset"], i["field"])
                    ),
                },
                "inEdges": sorted(ins.get(pk, []), key=lambda e: e["origin"]),
                "outEdges": sorted(outs.get(pk, []), key=lambda e: e["destination"]),
            }
        )
    return {"graph": graph, "truncated": area.truncated}


def shortest_path(a: Node, b: Node, *, max_depth: int) -> dict:
    """One shortest directed path a → … → b (downstream) or, if none, b → … → a (a is downstream of b)."""
    for downstream in (True, False):
        found, _ = walk("node", [a.pk], depth=max_depth, downstream=downstream)
        if b.pk in found:
            hops = {pk: d for pk, d in found.items() if d <= found[b.pk]}
            path = paths_to(hops, edges_among("node", list(hops)), downstream=downstream)[b.pk]
            if governed.hidden("node", path):  # no path is shown through what the caller may not see
                return {"direction": None, "path": []}
            nodes = {n.pk: n for n in Node.objects.filter(pk__in=path).select_related("namespace")}
            return {
                "direction": "downstream" if downstream else "upstream",
                "path": [node_key(nodes[p]) for p in path],
            }
    return {"direction": None, "path": []}
