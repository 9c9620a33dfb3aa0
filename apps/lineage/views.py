"""The lineage view: ``/lineage/<urn or node id>?depth=N``, the graph drawn in the browser (dagre, SVG)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

from apps.catalog import public as catalog
from dictamesh.errors import DictaMeshError

from . import governed, graph, selectors, services
from .models import Node, NodeKind

DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10)


def view_url(node_id: str, depth: int | None = None) -> str:
    url = reverse("lineage-view", args=[node_id])  # reverse() quotes once; quoting here too broke `://` ids
    return f"{url}?depth={depth}" if depth else url


def view_graph(start: Node, depth: int) -> dict:
    """The nodes and edges the page draws, each node with the link it opens."""
    answer = graph.lineage_graph(start, depth)
    start_id = selectors.node_key(start)
    entity_ids = catalog.entity_ids(urns=[n["data"]["urn"] for n in answer["graph"] if n["data"].get("urn")])
    nodes, edges = [], []
    for n in answer["graph"]:
        urn = n["data"].get("urn")
        if n["type"] == "DATASET" and urn in entity_ids:
            href = reverse("entity-page", args=[urn])  # the entity's page (the composition root's)
        else:
            href = view_url(n["id"], depth)
        nodes.append({"id": n["id"], "type": n["type"], "label": n["data"]["name"],
                      "namespace": n["data"]["namespace"], "urn": urn, "href": href,
                      "start": n["id"] == start_id})  # fmt: skip
        edges.extend({"from": e["origin"], "to": e["destination"]} for e in n["outEdges"])
    return {"nodes": nodes, "edges": edges, "truncated": answer["truncated"]}


def lineage_view(request, node: str):
    """Signed-in users (and anyone when DICTAMESH_ALLOW_ANONYMOUS_READ) see the graph around a dataset, job or
    catalog entity."""
    if not request.user.is_authenticated and not settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    services.catch_up()
    with governed.scope(request):
        return _lineage_page(request, node)


def _lineage_page(request, node: str):
    try:
        start = selectors.node_by_urn(node) if node.startswith("dm:") else selectors.node_by_id(node)
        governed.require(start)
        depth = graph.check_depth(request.GET.get("depth") or "3")
    except DictaMeshError as exc:  # a page: the error as a page too
        context = {
            **admin.site.each_context(request),
            "error": exc.message,
            "title": "Lineage",
            "start_id": node,
        }
        return render(
            request, "lineage/graph.html", {**context, "is_nav_sidebar_enabled": False}, status=exc.status
        )
    entity = catalog.entity_ids(urns=[start.entity_urn]) if start.entity_urn else {}
    context = {
        **admin.site.each_context(request),
        "title": f"Lineage of {start.name}" + (" (job)" if start.kind == NodeKind.JOB else ""),
        "is_nav_sidebar_enabled": request.user.is_staff,  # the admin's app list means nothing to others
        "start_id": selectors.node_key(start),
        "depth": depth,
        "depths": sorted({*DEPTHS, depth}),
        "graph": view_graph(start, depth),
        "entity_url": reverse("entity-page", args=[start.entity_urn]) if entity else "",
    }
    return render(request, "lineage/graph.html", context)
