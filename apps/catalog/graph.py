"""The relationship graph, in SQL: neighbours within N hops (recursive CTE), subgraphs, shortest paths.

Bounded (depth at most ``MAX_DEPTH``, results at most ``limit``) and cycle-safe: the recursive CTE's UNION
keeps each (node, depth) pair once, so cycles end at the depth bound. Bidirectional relationships are
followed both ways whatever the direction asked. Deleted entities are neither returned nor walked through.
Paths: breadth-first, one SQL query per level, never the whole graph in memory.
"""

from __future__ import annotations

import re

from django.db import connection

from dictamesh.errors import NotFound, ValidationError

from .models import Entity, Relationship
from .selectors import EntityFilter, visible_ids
from .state import relationship_state

Visible = tuple[str, tuple] | None  # the entities the caller may read (EntityFilter.visible)

MAX_DEPTH = 5
MAX_PATH_DEPTH = 8
MAX_NODES = 2000
MAX_VISITED = 200_000
DIRECTIONS = ("out", "in", "both")
_PREDICATE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")

_WALK = """
WITH RECURSIVE walk(node, depth) AS (
    SELECT %(start)s::bigint, 0
  UNION
    SELECT n.next, w.depth + 1
    FROM walk w
    CROSS JOIN LATERAL (
        SELECT r.target_id AS next FROM dictamesh_catalog_relationship r
        WHERE r.source_id = w.node AND (%(out)s OR r.bidirectional) {predicate}
      UNION ALL
        SELECT r.source_id FROM dictamesh_catalog_relationship r
        WHERE r.target_id = w.node AND (%(in)s OR r.bidirectional) {predicate}
    ) n
    JOIN dictamesh_catalog_entity x ON x.id = n.next AND x.deleted_at IS NULL {visible}
    WHERE w.depth < %(depth)s
)
SELECT node, min(depth) AS depth FROM walk WHERE node <> %(start)s
GROUP BY node ORDER BY min(depth), node LIMIT %(limit)s
"""


def _check(
    direction: str, depth: int, predicates: list[str] | None, limit: int, max_depth: int = MAX_DEPTH
) -> None:
    problems = {}
    if direction not in DIRECTIONS:
        problems["direction"] = f"one of {', '.join(DIRECTIONS)}"
    if not isinstance(depth, int) or not 1 <= depth <= max_depth:
        problems["depth"] = f"1..{max_depth}"
    if predicates and not all(isinstance(p, str) and _PREDICATE.match(p) for p in predicates):
        problems["predicate"] = "lower_snake_case predicate names"
    if not isinstance(limit, int) or not 1 <= limit <= MAX_NODES:
        problems["limit"] = f"1..{MAX_NODES}"
    if problems:
        raise ValidationError("The graph query is invalid.", fields=problems)


def _start(urn: str, visible: Visible = None) -> int:
    pk = Entity.objects.filter(urn=urn, deleted_at__isnull=True).values_list("id", flat=True).first()
    if pk is None or (visible is not None and pk not in visible_ids(ids=[pk], visible=visible)):
        raise NotFound(f"No entity {urn}.")
    return pk


def _visible(visible: Visible, alias: str, *, named: bool = False) -> tuple[str, dict | list]:
    """`` AND <the caller may read alias>`` and its parameters (named ones for the walk's query)."""
    if visible is None:
        return "", ({} if named else [])
    sql, params = EntityFilter(visible=visible).visible_sql(alias)
    if not named:
        return f" AND {sql}", params
    parts = sql.split("%s")
    text = parts[0] + "".join(f"%(visible_{i})s{part}" for i, part in enumerate(parts[1:]))
    return f" AND {text}", {f"visible_{i}": value for i, value in enumerate(params)}


def neighbor_ids(
    *,
    start: int,
    depth: int = 1,
    direction: str = "both",
    predicates: list[str] | None = None,
    limit: int = 500,
    visible: Visible = None,
) -> list[tuple[int, int]]:
    """(entity id, hops) of the entities within ``depth`` hops of ``start``, nearest first; with
    ``visible``, only entities the caller may read are returned or walked through."""
    predicate = "AND r.predicate = ANY(%(predicates)s)" if predicates else ""
    condition, named = _visible(visible, "x", named=True)
    with connection.cursor() as cursor:
        cursor.execute(
            _WALK.format(predicate=predicate, visible=condition),
            {
                **named,
                "start": start,
                "out": direction in ("out", "both"),
                "in": direction in ("in", "both"),
                "depth": depth,
                "limit": limit,
                "predicates": list(predicates or []),
            },
        )
        return cursor.fetchall()


def _urns(ids) -> dict[int, dict]:
    return {
        pk: {"urn": urn, "name": name, "type": entity_type}
        for pk, urn, name, entity_type in Entity.objects.filter(pk__in=list(ids)).values_list(
            "id", "urn", "name", "entity_type"
        )
    }


def subgraph(
    *,
    urn: str,
    depth: int = 1,
    direction: str = "both",
    predicates: list[str] | None = None,
    limit: int = 500,
    visible: Visible = None,
) -> dict:
    """The entities within ``depth`` hops of ``urn`` (with their distance) and the relationships among them."""
    _check(direction, depth, predicates, limit)
    start = _start(urn, visible)
    found = neighbor_ids(
        start=start, depth=depth, direction=direction, predicates=predicates, limit=limit, visible=visible
    )
    hops = {start: 0, **dict(found)}
    brief = _urns(hops)
    rels = Relationship.objects.filter(source_id__in=list(hops), target_id__in=list(hops))
    if predicates:
        rels = rels.filter(predicate__in=predicates)
    edges = [
        relationship_state(r, source_urn=brief[r.source_id]["urn"], target_urn=brief[r.target_id]["urn"])
        for r in rels.order_by("id")[: limit * 4]
    ]
    return {
        "root": urn,
        "nodes": [
            {**brief[pk], "depth": hops[pk]} for pk in sorted(hops, key=lambda k: (hops[k], brief[k]["urn"]))
        ],
        "edges": edges,
        "truncated": len(found) >= limit,
    }


def _expand(
    frontier: list[int], *, forward: bool, direction: str, visible: Visible = None
) -> list[tuple[int, int, int]]:
    """(from, to, relationship id) steps out of ``frontier``: ``forward`` walks the way the path reads."""
    follow_out = direction in ("out", "both") if forward else direction in ("in", "both")
    follow_in = direction in ("in", "both") if forward else direction in ("out", "both")
    condition, params = _visible(visible, "x")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.source_id, r.target_id, r.id FROM dictamesh_catalog_relationship r"  # noqa: S608 - params only
            f" JOIN dictamesh_catalog_entity x ON x.id = r.target_id AND x.deleted_at IS NULL{condition}"
            " WHERE r.source_id = ANY(%s) AND (%s OR r.bidirectional)"
            " UNION ALL SELECT r.target_id, r.source_id, r.id FROM dictamesh_catalog_relationship r"
            f" JOIN dictamesh_catalog_entity x ON x.id = r.source_id AND x.deleted_at IS NULL{condition}"
            " WHERE r.target_id = ANY(%s) AND (%s OR r.bidirectional)",
            [*params, frontier, follow_out, *params, frontier, follow_in],
        )
        return cursor.fetchall()


def shortest_path(
    *, source: str, target: str, max_depth: int = 6, direction: str = "both", visible: Visible = None
) -> dict | None:
    """A shortest path from ``source`` to ``target`` (at most ``max_depth`` hops), or None when there is none.

    Breadth-first, one query per level; at most ``MAX_VISITED`` entities are remembered (parents only).
    """
    _check(direction, max_depth, None, 1, max_depth=MAX_PATH_DEPTH)
    start, goal = _start(source, visible), _start(target, visible)
    if start == goal:
        raise ValidationError("Source and target are the same entity.", fields={"target": "same as source"})
    parent: dict[int, tuple[int, int] | None] = {start: None}  # node -> (previous node, relationship id)
    frontier = [start]
    for _ in range(max_depth):
        nxt = []
        for src, dst, rel in _expand(frontier, forward=True, direction=direction, visible=visible):
            if dst not in parent:
                parent[dst] = (src, rel)
                nxt.append(dst)
        if goal in parent or not nxt:
            break
        if len(parent) > MAX_VISITED:
            raise ValidationError(
                "The graph is too wide to search this deep.", fields={"max_depth": "lower it"}
            )
        frontier = nxt
    if goal not in parent:
        return None
    steps, node = [], goal
    while parent[node] is not None:
        prev, rel = parent[node]
        steps.append((prev, node, rel))
        node = prev
    steps.reverse()
    nodes = [start] + [dst for _, dst, _ in steps]
    brief = _urns(nodes)
    rels = {r.pk: r for r in Relationship.objects.filter(pk__in=[rel for *_, rel in steps])}
    return {
        "length": len(steps),
        "nodes": [brief[pk] for pk in nodes],
        "edges": [
            relationship_state(
                rels[rel],
                source_urn=brief[rels[rel].source_id]["urn"],
                target_urn=brief[rels[rel].target_id]["urn"],
            )
            for *_, rel in steps
        ],
    }
