"""What other apps may use of the catalog (import only this module and contracts.py)."""

from __future__ import annotations

from contextlib import suppress

from dictamesh.contracts import parse

from .contracts import EntityChanges, EntityRef
from .models import Entity


def entity_ref(*, urn: str) -> EntityRef | None:
    """A live entity's identity and ownership, or None."""
    return entity_refs(urns=[urn]).get(urn)


def entity_refs(*, urns: list[str]) -> dict[str, EntityRef]:
    """``entity_ref`` of many URNs: {urn: ref} of the live entities among them (cached in this process,
    dropped by every write that changes one; at most one query)."""
    from .selectors import entity_refs as refs

    return refs(urns=urns)


def entity_owners(*, urns: list[str]) -> dict[str, list[str]]:
    """{urn: sorted owner principals} of the live entities among ``urns``, in one query."""
    from .models import EntityOwner

    owners: dict[str, set[str]] = {}
    rows = EntityOwner.objects.filter(entity__urn__in=urns, entity__deleted_at__isnull=True)
    for urn, principal in rows.values_list("entity__urn", "principal"):
        owners.setdefault(urn, set()).add(principal)
    return {urn: sorted(found) for urn, found in owners.items()}


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
    entity_update(urn=urn, changes=EntityChanges(schema_subject=subject), actor=actor)


def entities_with_schema(*, subject: str) -> list[str]:
    """URNs of the live entities whose data contract is ``subject``."""
    return list(
        Entity.objects.filter(schema_subject=subject, deleted_at__isnull=True)
        .order_by("urn")
        .values_list("urn", flat=True)
    )


def ensure_home(*, source: str, source_kind: str, domain: str) -> None:
    """Create the source system and the domain another app files its entities under, when missing. Safe
    under concurrency: a row another transaction created meanwhile is taken as it is (a savepoint)."""
    from django.db import IntegrityError, transaction

    from dictamesh.errors import Conflict

    from .models import Domain, SourceSystem
    from .services import domain_create, source_create

    description = "Entities first seen by DictaMesh's own apps."
    if not Domain.objects.filter(name=domain).exists():
        with suppress(Conflict, IntegrityError), transaction.atomic():
            domain_create(name=domain, description=description)
    if not SourceSystem.objects.filter(name=source).exists():
        with suppress(Conflict, IntegrityError), transaction.atomic():
            source_create(name=source, kind=source_kind, description=description)


def entities_fill(*, items: list[dict], actor: str | None = None) -> list[dict]:
    """Create the entities that do not exist; on existing ones set only what is empty (description, display
    name, owners) and merge ``properties`` key by key. Per-item results as plain dicts."""
    from .services import entities_upsert as upsert

    existing = {
        e.urn: e
        for e in Entity.objects.filter(
            urn__in=[i["urn"] for i in items], deleted_at__isnull=True
        ).prefetch_related("owners")
    }
    changes, skipped = [], []
    for item in items:
        current = existing.get(item["urn"])
        if current is None:
            changes.append(item)
            continue
        change = {"urn": item["urn"]}
        for key in ("description", "display_name"):
            if item.get(key) and not getattr(current, key):
                change[key] = item[key]
        if item.get("owners") and not current.owners.all():
            change["owners"] = item["owners"]
        if item.get("properties"):
            merged = {**current.properties, **item["properties"]}
            if merged != current.properties:
                change["properties"] = merged
        if len(change) > 1:
            changes.append(change)
        else:
            skipped.append({"urn": item["urn"], "status": "unchanged"})
    results = [r.as_dict() for r in upsert(items=changes, actor=actor)] if changes else []
    return results + skipped


def entity_ids(*, urns: list[str]) -> dict[str, int]:
    """{urn: id} of the live entities among ``urns`` (for links to their admin pages)."""
    return dict(Entity.objects.filter(urn__in=urns, deleted_at__isnull=True).values_list("urn", "id"))


def entity_sensitivity_set(*, urn: str, fields: list[str], categories: list[str]) -> bool:
    """Record (governance) which property paths of an entity are sensitive and the PII it holds: those
    properties leave the search index. False when no entity has this URN yet."""
    updated = Entity.objects.filter(urn=urn).update(
        sensitive_fields=sorted(set(fields)), pii_categories=sorted(set(categories))
    )
    return bool(updated)


def urns_visible(*, urns: list[str], visible: tuple[str, tuple] | None) -> set[str]:
    """Which of these URNs are live entities the caller may read (``visible``: SQL from governance over an
    entity row, ``{e}`` its alias; None: any live one)."""
    from .selectors import visible_ids

    ids = dict(Entity.objects.filter(urn__in=list(urns), deleted_at__isnull=True).values_list("id", "urn"))
    return {ids[pk] for pk in visible_ids(ids=list(ids), visible=visible)}


def entity_properties(*, urn: str) -> dict | None:
    """A live entity's properties (unmasked: governance scans them for PII), or None."""
    row = Entity.objects.filter(urn=urn, deleted_at__isnull=True).values_list("properties", flat=True).first()
    return row if isinstance(row, dict) else ({} if row is not None else None)


SCHEMA_OWNERS_SQL = """
SELECT e.schema_subject, e.id, e.urn, e.entity_type, e.name, d.name, s.name, e.classification, e.tags,
       ARRAY(SELECT o.principal FROM dictamesh_catalog_owner o WHERE o.entity_id = e.id
             ORDER BY o.principal COLLATE "C")
FROM dictamesh_catalog_entity e
JOIN dictamesh_catalog_domain d ON d.id = e.domain_id
JOIN dictamesh_catalog_source s ON s.id = e.source_id
WHERE e.schema_subject = ANY(%s) AND e.deleted_at IS NULL
"""


def schema_owners(*, subjects: list[str]) -> dict[str, list[EntityRef]]:
    """{subject: the live entities whose data contract it is}. The schema registry asks it on every governed
    read, so it is cached per subject in each process (``caching.SCHEMA_OWNERS_CACHE``, dropped by every
    write that changes it) and a miss is one statement by the subject's partial index, off the ORM. Inside
    a transaction nothing is stored (it may see writes that are then rolled back)."""
    from .caching import SCHEMA_OWNERS_CACHE

    def load(missing: list[str]) -> dict[str, tuple[EntityRef, ...]]:
        loaded = _schema_owners_loaded(missing)
        return {s: tuple(loaded.get(s, ())) for s in missing}

    cached = SCHEMA_OWNERS_CACHE.load_many(subjects, load, ttl=3600)
    return {s: list(refs) for s, refs in cached.items() if refs}


def schema_owners_generation() -> int:
    """A number that moves whenever a subject's owners cached in this process may have changed: what a
    decision made from ``schema_owners`` may be remembered by (read it before them)."""
    from .caching import SCHEMA_OWNERS_CACHE

    return SCHEMA_OWNERS_CACHE.generation()


def _schema_owners_loaded(subjects: list[str]) -> dict[str, list[EntityRef]]:
    from django.db import connection

    from .selectors import entity_ref_of

    found: dict[str, list[EntityRef]] = {}
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_OWNERS_SQL, [list(subjects)])
        for subject, *row in cursor.fetchall():
            found.setdefault(subject, []).append(entity_ref_of(row))
    return found


def entities_older_than(
    *,
    before,
    basis: str = "updated_at",
    domain: str = "",
    entity_type: str = "",
    classification: str = "",
    limit: int = 10000,
) -> list[dict]:
    """Live entities whose ``basis`` (updated_at, created_at or last_synced_at) is before ``before``, among
    a domain, type and classification when named: ``[{"urn", "domain"}]``, oldest first (retention)."""
    if basis not in ("updated_at", "created_at", "last_synced_at"):
        raise ValueError(basis)
    rows = Entity.objects.filter(deleted_at__isnull=True, **{f"{basis}__lt": before})
    if domain:
        rows = rows.filter(domain__name=domain)
    if entity_type:
        rows = rows.filter(entity_type=entity_type)
    if classification:
        rows = rows.filter(classification=classification)
    found = rows.order_by(basis, "id").values_list("urn", "domain__name")[:limit]
    return [{"urn": urn, "domain": name} for urn, name in found]


def entity_delete(*, urn: str, actor: str) -> None:
    """Soft-delete a live entity (its history is kept), as ``actor`` (retention, erasure)."""
    from .services import entity_delete as delete

    delete(urn=urn, actor=actor)


def entity_properties_replace(*, urn: str, properties: dict, actor: str) -> None:
    """Replace a live entity's properties: a new version, an event (anonymization)."""
    from .services import entity_update

    entity_update(urn=urn, changes=parse(EntityChanges, {"properties": properties}), actor=actor)


def entity_keys(*, source: str, types: list[str]) -> list[tuple[str, str]]:
    """(type, source key) of the live entities of a source system among ``types`` (an adapter's full sync)."""
    return list(
        Entity.objects.filter(
            source__name=source, entity_type__in=types, deleted_at__isnull=True
        ).values_list("entity_type", "source_key")
    )


def entities_remove(*, urns: list[str], actor: str | None = None) -> int:
    """Delete (softly: history stays) the live entities among ``urns``; how many were. One event each."""
    from .services import entity_delete

    live = list(Entity.objects.filter(urn__in=urns, deleted_at__isnull=True).values_list("urn", flat=True))
    for urn in live:
        entity_delete(urn=urn, actor=actor)
    return len(live)


def entity_schema_subject(*, urn: str) -> str | None:
    """The data contract (registry subject) of a live entity: "" when none, None when there is no entity."""
    found = (
        Entity.objects.filter(urn=urn, deleted_at__isnull=True)
        .values_list("schema_subject", flat=True)
        .first()
    )
    return found


def cache_filled(*, ttls: dict[int, int]) -> None:
    """Record in the cache status that entities' cached data was just filled: ``{entity id: ttl seconds}``
    (the adapters' live records), in one statement."""
    from django.db import connection

    if not ttls:
        return
    ids, seconds = list(ttls), list(ttls.values())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_catalog_cache_status AS s (entity_id, cached_at, fresh_until, ttl_seconds, fills,"
            " invalidations) SELECT i, now(), now() + make_interval(secs => t), t, 1, 0"
            " FROM unnest(%s::bigint[], %s::int[]) AS u(i, t)"
            " WHERE EXISTS (SELECT 1 FROM dictamesh_catalog_entity e WHERE e.id = u.i)"  # deleted meanwhile: skip
            " ON CONFLICT (entity_id) DO UPDATE SET cached_at = excluded.cached_at, fresh_until = excluded.fresh_until,"
            " ttl_seconds = excluded.ttl_seconds, fills = s.fills + 1",
            [ids, seconds],
        )


def entities_recently_changed(*, request, limit: int = 10) -> list[dict]:
    """The live entities most recently changed that the request's caller may read (masked as they see them)."""
    from . import governed
    from .search import search
    from .selectors import EntityFilter

    found = search(query="", sort="-updated_at", first=limit, facets=False,
                   filters=EntityFilter(visible=governed.visible(request)))  # fmt: skip
    return [hit["entity"] for hit in governed.hits(request, found.items)]
