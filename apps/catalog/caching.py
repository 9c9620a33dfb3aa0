"""The entity read cache (L1 + L2, see dictamesh.cache) and its per-entity freshness record (CacheStatus)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from dictamesh.cache import TwoLevelCache

from .models import CacheStatus, CacheStrategy

ENTITY_CACHE = TwoLevelCache(
    "catalog.entity",
    l1_size=lambda: settings.DICTAMESH_CATALOG_L1_SIZE,
    l1_ttl=lambda: settings.DICTAMESH_CATALOG_L1_TTL_SECONDS,
)
# {schema subject: the live entities whose data contract it is} (catalog.public.schema_owners): what the
# registry's governance decides on at every read. In each process's memory only (no L2: a value loaded while
# a write committed is never stored, see dictamesh.cache). Every write that may change it drops the subjects
# it names before and after (services: creates, updates, deletes; signals: a domain or source renamed), here
# at once and in every process when it commits; the entity events drop them again (consumers).
SCHEMA_OWNERS_CACHE = TwoLevelCache(
    "catalog.schema_owners",
    l1_size=lambda: settings.DICTAMESH_CATALOG_L1_SIZE,
    l1_ttl=lambda: settings.DICTAMESH_CATALOG_L1_TTL_SECONDS,
    shared=False,
)

# {urn: EntityRef, or None when no live entity has that URN} (catalog.public.entity_refs): what write checks
# decide on at every request (lineage ingestion's, for every dataset an event names). In each process's
# memory only, dropped by the same writes as SCHEMA_OWNERS_CACHE (a created entity drops its URN too: a
# miss is remembered), and all of it when a domain or source is renamed. Loaded with the generation taken
# before, so a value read while a write committed is never kept; nothing is kept inside a transaction.
ENTITY_REFS_CACHE = TwoLevelCache(
    "catalog.refs",
    l1_size=lambda: settings.DICTAMESH_CATALOG_L1_SIZE,
    l1_ttl=lambda: settings.DICTAMESH_CATALOG_L1_TTL_SECONDS,
    shared=False,
)


def cached_entity_state(urn: str, loader) -> dict | None:
    """The state of ``urn`` from the cache, or ``loader()`` (which also records the fill in CacheStatus)."""

    def load_and_record():
        state = loader()
        if state is None or _ttl_of(state) <= 0:
            return state
        ttl = state["cache"]["ttl_seconds"]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dictamesh_catalog_cache_status AS s (entity_id, cached_at, fresh_until, ttl_seconds,"
                " fills, invalidations) VALUES (%s, now(), now() + make_interval(secs => %s), %s, 1, 0)"
                " ON CONFLICT (entity_id) DO UPDATE SET cached_at = excluded.cached_at,"
                " fresh_until = excluded.fresh_until, ttl_seconds = excluded.ttl_seconds, fills = s.fills + 1",
                [state["id"], ttl, ttl],
            )
        return state

    return ENTITY_CACHE.get(urn, load_and_record, ttl=_ttl_of)


def _ttl_of(state: dict) -> int:
    if state["cache"]["strategy"] == CacheStrategy.NONE:
        return 0
    return state["cache"]["ttl_seconds"]


def invalidate_entities(urns: list[str]) -> None:
    """Drop ``urns`` from L2 and from L1 in every process, and count the invalidation per entity."""
    ENTITY_CACHE.invalidate(urns)
    CacheStatus.objects.filter(entity__urn__in=urns).update(
        invalidations=F("invalidations") + 1, last_invalidated_at=timezone.now(), fresh_until=None
    )


def drop_schema_owners(subjects) -> None:
    """Drop the cached owners of ``subjects`` (blank ones are no subject): now in this process and L2, and
    in every process once the transaction commits (``TwoLevelCache.drop``)."""
    named = sorted({s for s in subjects if s})
    if named:
        SCHEMA_OWNERS_CACHE.drop(named)


def drop_entity_refs(urns) -> None:
    """Drop the cached refs of ``urns`` (as ``drop_schema_owners``: now here, everywhere at commit)."""
    named = sorted({u for u in urns if u})
    if named:
        ENTITY_REFS_CACHE.drop(named)


def drop_schema_owners_of(*, domain_id: int | None = None, source_id: int | None = None) -> None:
    """A domain or source system changed (its name is in every EntityRef of its entities): drop the subjects
    of its entities, and every cached ref."""
    from .models import Entity

    ENTITY_REFS_CACHE.drop_all()

    rows = Entity.objects.exclude(schema_subject="")
    rows = rows.filter(domain_id=domain_id) if domain_id is not None else rows.filter(source_id=source_id)
    drop_schema_owners(rows.values_list("schema_subject", flat=True).distinct())
