"""Datasets lineage sees become catalog entities (through the catalog's public API), filled where empty with
their documentation, ownership and fields; a dataset's URN is derived from its namespace and name."""

from __future__ import annotations

import logging

from django.conf import settings

from apps.catalog import public as catalog

from .models import DatasetField, Node, NodeKind
from .selectors import node_key

logger = logging.getLogger("dictamesh.lineage")


def _dataset_keys(ids: set[int]) -> dict[int, str]:
    """{id: dataset:NS:NAME} of the datasets among ``ids``."""
    if not ids:
        return {}
    return {
        n.pk: node_key(n)
        for n in Node.objects.filter(pk__in=ids, kind=NodeKind.DATASET).select_related("namespace")
    }


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
