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
