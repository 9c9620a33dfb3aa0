"""What other apps may use of lineage (import only this module)."""

from __future__ import annotations


def downstream_fields(*, urn: str, field: str, depth: int = 10) -> list[dict]:
    """The fields derived from ``field`` of the dataset whose catalog entity is ``urn``, following column
    lineage downstream: ``[{"urn", "field", "hops", "via": {"urn", "field"}}]`` (``via``: the field one hop
    nearer the start), nearest first; only fields of datasets linked to a catalog entity."""
    from . import services
    from .graph import neighbourhood, paths_to
    from .models import DatasetField

    services.catch_up()
    start = (
        DatasetField.objects.filter(dataset__entity_urn=urn, name=field, removed_at__isnull=True)
        .values_list("id", flat=True)
        .first()
    )
    if start is None:
        return []
    area = neighbourhood("field", [start], depth=depth, upstream=False)
    paths = paths_to(area.hops, area.edges)
    rows = {
        pk: (entity_urn, name)
        for pk, entity_urn, name in DatasetField.objects.filter(pk__in=list(area.hops)).values_list(
            "id", "dataset__entity_urn", "name"
        )
    }
    out = []
    for pk, hops in sorted(area.hops.items(), key=lambda item: (item[1], rows[item[0]])):
        if hops == 0 or not rows[pk][0]:
            continue
        path = paths[pk]
        via = rows[path[-2]] if len(path) >= 2 else rows[start]
        out.append(
            {"urn": rows[pk][0], "field": rows[pk][1], "hops": hops, "via": {"urn": via[0], "field": via[1]}}
        )
    return out


def node_entity_urns(*, keys: list[str]) -> dict[str, str]:
    """{node key: linked catalog entity URN} of the lineage nodes named by keys (``dataset:<ns>:<name>``,
    ``job:<ns>:<name>``; a namespace may hold colons) that are linked to an entity; one query."""
    from django.db import connection

    candidates: list[tuple[str, str, str, str]] = []
    for key in keys[:10_000]:
        kind, _, rest = key.partition(":")
        if kind not in ("dataset", "job") or not rest:
            continue
        for at in (i for i, c in enumerate(rest) if c == ":"):
            candidates.append((key, kind, rest[:at], rest[at + 1 :]))
    if not candidates:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.key, n.entity_urn FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
            " AS c(key, kind, ns, name)"
            " JOIN dictamesh_lineage_namespace s ON s.name = c.ns"
            " JOIN dictamesh_lineage_node n ON n.namespace_id = s.id AND n.kind = c.kind AND n.name = c.name"
            " WHERE n.entity_urn <> ''",
            [list(col) for col in zip(*candidates, strict=True)],
        )
        return dict(cursor.fetchall())


def attention() -> list[dict]:
    """Datasets late against their freshness SLA, for the home page's "needs attention"."""
    from .selectors import freshness_breached_count

    return [
        {
            "what": "freshness breaches",
            "count": freshness_breached_count(),
            "href": "/admin/lineage/freshness/",
        }
    ]


def openlineage_ingest(*, event: dict, actor: str) -> str:
    """Store one OpenLineage run event as the ingestion API would; its status (stored, duplicate)."""
    from .services import ingest

    return ingest(event, actor=actor).status


def dataset_link(*, node_id: str, urn: str) -> None:
    """Point a lineage dataset at the catalog entity it really is (an adapter's table)."""
    from . import services

    services.dataset_link(node_id=node_id, urn=urn)
