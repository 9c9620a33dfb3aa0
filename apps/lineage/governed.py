"""Lineage as the caller may see it: a dataset or job is as visible as the catalog entity it is linked to.

A node whose linked entity the caller may not read (governance) is not found when asked for, is left out
of lists, graphs, column lineage and impact reports, with the edges that touch it, and no path is shown
through it. Nodes without a catalog entity, and nodes whose entity the caller may read, are shown.
Graph walks still pass through hidden nodes (impact must not stop where the caller cannot see), so a
visible node further downstream is still reported — without the hidden ones on its path.

Reads set the caller for the duration of the read (``scope``); the graph functions ask ``hidden``.
"""

from __future__ import annotations

from django.db import connection

from dictamesh import decision_point as governance
from dictamesh.errors import NotFound

from .hiding import hidden, hiding  # noqa: F401 - hidden: asked by the graph functions through this module


def _visible_sql(request) -> tuple[str, list] | None:
    return governance.entity_visible_sql(governance.access(request), "e")


def hidden_sql(request, column: str) -> tuple[str, list] | None:
    """SQL true for the rows whose ``column`` (an entity URN) names a live entity the caller may not read;
    None when it may read them all."""
    visible = _visible_sql(request)
    if visible is None:
        return None
    sql, params = visible
    condition = f"EXISTS (SELECT 1 FROM dictamesh_catalog_entity e WHERE e.urn = {column}"  # noqa: S608
    return f"{condition} AND e.deleted_at IS NULL AND NOT ({sql}))", params


def _hidden(request, graph: str, ids: list[int]) -> set[int]:
    condition = hidden_sql(request, "n.entity_urn")
    if condition is None or not ids:
        return set()
    sql, params = condition
    if graph == "node":
        query = (
            f"SELECT n.id FROM dictamesh_lineage_node n WHERE n.id = ANY(%s) AND n.entity_urn <> '' AND {sql}"  # noqa: S608
        )
    else:
        query = (
            "SELECT f.id FROM dictamesh_lineage_field f JOIN dictamesh_lineage_node n ON n.id = f.dataset_id"  # noqa: S608
            f" WHERE f.id = ANY(%s) AND n.entity_urn <> '' AND {sql}"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, [list(ids), *params])
        return {row[0] for row in cursor.fetchall()}


def scope(request):
    """While it lasts, lineage reads hide what ``request``'s caller may not read."""
    return hiding(lambda graph, ids: _hidden(request, graph, ids))


def require(node) -> None:
    """NotFound for a node (or field) the caller of the current read may not see."""
    from .models import DatasetField

    graph = "field" if isinstance(node, DatasetField) else "node"
    if hidden(graph, [node.pk]):
        label = getattr(node, "name", node.pk)
        raise NotFound(f"No {'field' if graph == 'field' else node.kind} {label!r}.")


def require_write(request, *nodes) -> None:
    """A manual lineage edit: every node it touches must be visible (else not found) and writable (governance:
    ``write`` on a ``lineage`` resource with the node's catalog entity's attributes)."""
    from dictamesh.errors import PermissionDenied

    from .models import DatasetField

    with scope(request):
        for node in nodes:
            require(node)
    access = governance.access(request)
    for node in nodes:
        urn = (node.dataset.entity_urn if isinstance(node, DatasetField) else node.entity_urn) or ""
        decision = governance.linked_decide(access, "write", urn)
        if not decision.allowed:
            raise PermissionDenied(f"You may not change the lineage of {urn or node}: {decision.message}")


def require_ingest(request, body) -> None:
    """OpenLineage ingestion: the writer must be allowed to ``write`` (as a ``lineage`` resource) every
    dataset the event names that is linked to a catalog entity — an event rewrites its schema fields,
    facets and edges. A refusal is 403 and names nothing: a dataset hidden from the writer stays unknown.
    Malformed events pass on to validation, which answers them."""
    from dictamesh.errors import PermissionDenied

    from .ingestion import dataset_urn
    from .selectors import linked_elsewhere

    pairs = set()
    if isinstance(body, dict):
        for side in ("inputs", "outputs"):
            items = body.get(side)
            for item in items[:1000] if isinstance(items, list) else ():
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("namespace"), str)
                    and isinstance(item.get("name"), str)
                ):
                    pairs.add((item["namespace"], item["name"]))
    if not pairs:
        return
    access = governance.access(request)
    if access.actor.superuser:
        return
    # a dataset is linked to its own URN, to none, or elsewhere
    urns = {dataset_urn(ns, name) for ns, name in pairs} | set(linked_elsewhere(sorted(pairs)).values())
    if governance.linked_refused(access, "write", sorted(urns)):
        raise PermissionDenied(
            "This event changes datasets whose lineage you may not write.", code="lineage_write_denied"
        )
