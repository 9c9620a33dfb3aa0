"""What other apps may use of the catalog (import only this module and contracts.py)."""

from __future__ import annotations

from .contracts import EntityRef
from .models import Entity


def entity_ref(*, urn: str) -> EntityRef | None:
    """A live entity's identity and ownership, or None."""
    row = (
        Entity.objects.filter(urn=urn, deleted_at__isnull=True)
        .select_related("domain", "source")
        .prefetch_related("owners")
        .first()
    )
    if row is None:
        return None
    return EntityRef(
        id=row.pk,
        urn=row.urn,
        type=row.entity_type,
        name=row.name,
        domain=row.domain.name,
        source=row.source.name,
        classification=row.classification,
        owners=tuple(sorted(o.principal for o in row.owners.all())),
        tags=tuple(row.tags),
    )


def entities_upsert(*, items: list[dict], actor: str | None = None, synced: bool = False) -> list[dict]:
    """Create or update entities by URN (adapters, lineage): per-item results as plain dicts."""
    from .services import entities_upsert as upsert

    return [r.as_dict() for r in upsert(items=items, actor=actor, synced=synced)]


def relationships_add(*, items: list[dict], provenance: str = "adapter") -> dict[str, int]:
    from .relationships import relationships_add_many

    return relationships_add_many(items=items, provenance=provenance)


def build_urn(*, source: str, entity_type: str, source_key: str) -> str:
    from .urns import build_urn as build

    return build(source=source, entity_type=entity_type, source_key=source_key)


def entity_link_schema(*, urn: str, subject: str, actor: str | None = None) -> None:
    """Record ``subject`` (schema registry) as the data contract of a live entity ("" unlinks it)."""
    from dictamesh.errors import NotFound

    from .services import entity_update

    if entity_ref(urn=urn) is None:
        raise NotFound(f"No entity {urn}.")
    entity_update(urn=urn, changes={"schema_subject": subject}, actor=actor)


def entities_with_schema(*, subject: str) -> list[str]:
    """URNs of the live entities whose data contract is ``subject``."""
    return list(
        Entity.objects.filter(schema_subject=subject, deleted_at__isnull=True)
        .order_by("urn")
        .values_list("urn", flat=True)
    )
