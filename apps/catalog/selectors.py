"""Reads of the catalog: entities (cached by URN), lists with keyset cursors, history, as-of, diffs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from dictamesh.api.cursors import decode_cursor, encode_cursor
from dictamesh.errors import NotFound, ValidationError
from dictamesh.events.models import EventLog

from .caching import cached_entity_state
from .contracts import EntityRef
from .models import Classification, Domain, Entity, EntityOwner, SourceSystem
from .state import diff_states, entity_state, row_state

MAX_PAGE = 500


def page_size(first: int | None, default: int = 50) -> int:
    if first is None:
        return default
    if not isinstance(first, int) or not 1 <= first <= MAX_PAGE:
        raise ValidationError(f"Page size must be from 1 to {MAX_PAGE}.", fields={"first": f"1..{MAX_PAGE}"})
    return first


def entities_queryset() -> QuerySet[Entity]:
    """Live entities with what their state needs (domain, source, owners) — three queries for any page."""
    return (
        Entity.objects.filter(deleted_at__isnull=True)
        .select_related("domain", "source")
        .prefetch_related(Prefetch("owners", queryset=EntityOwner.objects.order_by("principal", "role")))
        .defer("search_vector", "embedding")
    )


# the columns of an entity's state (state.row_state), and its domain's and source's names
STATE_COLUMNS = (
    "id", "urn", "entity_type", "name", "display_name", "description", "source_key", "version",
    "schema_subject", "tags", "classification", "properties", "cache_ttl_seconds", "cache_strategy",
    "created_at", "updated_at", "deprecated_at", "deprecation_note", "deleted_at", "last_synced_at",
)  # fmt: skip


def entity_states(queryset: QuerySet[Entity]) -> list[dict]:
    """The states of the entities of ``queryset`` (filtered, ordered, sliced as given), as ``entity_state``
    makes them, in two queries and without model instances: a list of a hundred entities and its two
    hundred relationship targets is read at every GraphQL list query."""
    rows = list(
        queryset.prefetch_related(None).values(
            *STATE_COLUMNS, domain_name=F("domain__name"), source_name=F("source__name")
        )
    )
    owners: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if owners:
        for entity_id, principal, role in EntityOwner.objects.filter(entity_id__in=list(owners)).values_list(
            "entity_id", "principal", "role"
        ):
            owners[entity_id].append({"principal": principal, "role": role})
    return [
        row_state(
            row, domain=row["domain_name"], source=row["source_name"],
            owners=sorted(owners[row["id"]], key=lambda o: (o["principal"], o["role"])),
        )
        for row in rows
    ]  # fmt: skip


def _load_state(urn: str) -> dict | None:
    entity = entities_queryset().filter(urn=urn).first()
    return entity_state(entity) if entity is not None else None


def entity_get(*, urn: str, use_cache: bool = True) -> dict:
    """The state of a live entity by URN (from the read cache unless ``use_cache`` is false)."""
    state = cached_entity_state(urn, lambda: _load_state(urn)) if use_cache else _load_state(urn)
    if state is None:
        raise NotFound(f"No entity {urn}.")
    return state


def entity_by_urn(*, urn: str) -> Entity:
    entity = entities_queryset().filter(urn=urn).first()
    if entity is None:
        raise NotFound(f"No entity {urn}.")
    return entity


@dataclass(frozen=True)
class EntityFilter:
    domain: str | None = None
    source: str | None = None
    type: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    classification: str | None = None
    include_deprecated: bool = True
    # the entities the caller may read (governance): SQL over an entity row, ``{e}`` standing for its alias
    visible: tuple[str, tuple] | None = None

    def __post_init__(self) -> None:
        if self.classification and self.classification not in Classification.values:
            raise ValidationError(
                f"classification must be one of {', '.join(Classification.values)}.",
                fields={"classification": "unknown"},
            )

    def visible_sql(self, alias: str) -> tuple[str, list]:
        return self.visible[0].replace("{e}", alias), list(self.visible[1])

    def q(self) -> Q:
        q = Q()
        if self.domain:  # by id, so that an index on (domain, urn) gives a page in order without a sort
            q &= Q(domain_id=Subquery(Domain.objects.filter(name=self.domain).values("id")[:1]))
        if self.source:
            q &= Q(source__name=self.source)
        if self.type:
            q &= Q(entity_type=self.type)
        if self.tags:
            q &= Q(tags__contains=list(self.tags))
        if self.owner:
            q &= Q(pk__in=EntityOwner.objects.filter(principal=self.owner).values("entity_id"))
        if self.classification:
            q &= Q(classification=self.classification)
        if not self.include_deprecated:
            q &= Q(deprecated_at__isnull=True)
        if self.visible:
            sql, params = self.visible_sql(Entity._meta.db_table)
            q &= Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611 - policy SQL, values as params
        return q


SORTS = {
    "urn": ("urn",),
    "name": ("name", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
}


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    has_next: bool


def entity_list(
    *, filters: EntityFilter, sort: str = "urn", first: int | None = None, after: str | None = None
) -> Page:
    """A page of live entities' states; the cursor is the last row's sort key (keyset pagination: stable,
    index-backed)."""
    if sort not in SORTS:
        raise ValidationError(f"sort must be one of {', '.join(SORTS)}.", fields={"sort": "unknown"})
    size = page_size(first)
    qs = entities_queryset().filter(filters.q()).order_by(*SORTS[sort])
    position = decode_cursor(after)
    if position is not None:
        qs = qs.filter(_after(sort, position))
    rows = entity_states(qs[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(_key(sort, rows[-1])) if has_next and rows else None
    return Page(rows, next_cursor, has_next)


def _key(sort: str, state: dict) -> list:
    field = sort.lstrip("-")
    if field == "urn":
        return [state["urn"]]
    value = state[field]
    return [value.isoformat() if isinstance(value, datetime) else value, state["id"]]


def _after(sort: str, position: list) -> Q:
    try:
        if sort == "urn":
            return Q(urn__gt=str(position[0]))
        field = sort.lstrip("-")
        value = datetime.fromisoformat(position[0]) if field == "updated_at" else str(position[0])
        pk = int(position[1])
    except (IndexError, TypeError, ValueError):
        raise ValidationError(
            "The cursor is not one this API gave out.", fields={"cursor": "invalid"}
        ) from None
    if sort.startswith("-"):
        return Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk})
    return Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk})


@dataclass(frozen=True)
class Version:
    """One version of an entity: its state after a change. Read from the event log, which keeps every
    change event with its after state, immutable and never pruned: the history has no table of its own."""

    urn: str
    version: int
    change: str
    state: dict
    changed_fields: list[str]
    actor: str
    changed_at: datetime


def _versions(queryset) -> list[Version]:
    rows = queryset.values_list(
        "subject", "data__version", "data__change", "data__changed_fields", "after", "actor", "time"
    )
    return [Version(u, v, c, s, f or [], a, t) for u, v, c, f, s, a, t in rows]


def _log(urns: list[str]):
    from .events import ENTITY_TOPIC

    return EventLog.objects.filter(topic=ENTITY_TOPIC.name, subject__in=urns)


def histories(*, urns: list[str]) -> dict[str, list[Version]]:
    """The versions of each URN, oldest first (one query for them all: GraphQL's loader)."""
    found: dict[str, list[Version]] = {urn: [] for urn in urns}
    for version in _versions(_log(urns).order_by("subject", "time", "id")):
        found[version.urn].append(version)
    return found


def entity_history(*, urn: str) -> list[Version]:
    versions = histories(urns=[urn])[urn]
    if not versions:
        raise NotFound(f"No entity {urn} (and no history of one).")
    return versions


def entity_as_of(*, urn: str, at: datetime) -> Version:
    """The version of ``urn`` that was current at ``at``."""
    found = _versions(_log([urn]).filter(time__lte=at).order_by("-time", "-id")[:1])
    if not found:
        raise NotFound(f"Entity {urn} did not exist at {at.isoformat()}.")
    return found[0]


def entity_diff(*, urn: str, from_version: int, to_version: int) -> list[dict]:
    states = {v.version: v.state for v in entity_history(urn=urn) if v.version in (from_version, to_version)}
    missing = [v for v in (from_version, to_version) if v not in states]
    if missing:
        raise NotFound(f"Entity {urn} has no version {missing[0]}.")
    return diff_states(states[from_version], states[to_version])


def visible_ids(*, ids: list[int], visible: tuple[str, tuple] | None) -> set[int]:
    """Which of these live entities the caller may read (``visible`` as in EntityFilter; None: all)."""
    if not ids:
        return set()
    where, params = ("TRUE", []) if visible is None else EntityFilter(visible=visible).visible_sql("e")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM dictamesh_catalog_entity e"  # noqa: S608 - policy SQL, values as params
            f" WHERE e.id = ANY(%s) AND e.deleted_at IS NULL AND {where}",
            [list(ids), *params],
        )
        return {row[0] for row in cursor.fetchall()}


@dataclass(frozen=True, slots=True)
class RelationshipRow:
    """A relationship's columns (what a GraphQL relationship shows), read without a model instance."""

    id: int
    source_id: int
    target_id: int
    predicate: str
    bidirectional: bool
    confidence: float
    provenance: str
    metadata: Any


def relationships_of(*, entity_ids: list[int]) -> dict[int, list[RelationshipRow]]:
    """Outgoing relationships of each entity, and incoming bidirectional ones (seen from their other end).
    Their other ends are not decided here: the caller's reads load them (catalog.graphql.loaders)."""
    by_entity: dict[int, list[RelationshipRow]] = {pk: [] for pk in entity_ids}
    with connection.cursor() as cursor:
        # the ids as a set to join, not a list to compare: the planner costs an ``IN (...)`` list element by
        # element against the column's statistics (4 ms to plan for 100 ids, 0.4 to run)
        cursor.execute(
            "SELECT r.id, r.source_id, r.target_id, r.predicate, r.bidirectional, r.confidence, r.provenance,"
            " r.metadata FROM dictamesh_catalog_relationship r WHERE"
            " (r.source_id IN (SELECT unnest(%s::bigint[]))"
            " OR (r.bidirectional AND r.target_id IN (SELECT unnest(%s::bigint[])))) ORDER BY r.predicate, r.id",
            [list(entity_ids), list(entity_ids)],
        )
        rows = [  # Django has psycopg hand jsonb over as text (JSONField decodes it): so does this
            RelationshipRow(*row[:7], json.loads(row[7]) if isinstance(row[7], str) else row[7])
            for row in cursor.fetchall()
        ]
    for rel in rows:
        if rel.source_id in by_entity:
            by_entity[rel.source_id].append(rel)
        if rel.bidirectional and rel.target_id in by_entity:
            by_entity[rel.target_id].append(rel)
    return by_entity


def domain_list() -> list[Domain]:
    return list(Domain.objects.order_by("name"))


def source_list() -> list[SourceSystem]:
    return list(SourceSystem.objects.order_by("name"))


_REFS_SQL = (
    "SELECT e.id, e.urn, e.entity_type, e.name, d.name, s.name, e.classification, e.tags,"
    " ARRAY(SELECT o.principal FROM dictamesh_catalog_owner o WHERE o.entity_id = e.id)"
    " FROM dictamesh_catalog_entity e"
    " JOIN dictamesh_catalog_domain d ON d.id = e.domain_id JOIN dictamesh_catalog_source s ON s.id = e.source_id"
    " WHERE e.urn = ANY(%s::text[]) AND e.deleted_at IS NULL"
)


def entity_ref_of(row) -> EntityRef:
    """An EntityRef of a row (id, urn, type, name, domain, source, classification, tags, owners)."""
    pk, urn, type_, name, domain, source, classification, tags, owners = row
    return EntityRef(id=pk, urn=urn, type=type_, name=name, domain=domain, source=source,
                     classification=classification, owners=tuple(sorted(owners)), tags=tuple(tags or ()))  # fmt: skip


def entity_refs(*, urns: list[str]) -> dict[str, EntityRef]:
    """{urn: identity and ownership} of the live entities among ``urns``: from this process's cache
    (``ENTITY_REFS_CACHE``, misses included), the rest in one prepared statement. The write checks of the
    firehose routes (lineage ingestion) ask it at every request."""
    from dictamesh.db import execute_prepared

    from .caching import ENTITY_REFS_CACHE

    def load(missing: list[str]) -> dict[str, EntityRef]:
        return {row[1]: entity_ref_of(row) for row in execute_prepared(_REFS_SQL, [missing])}

    found = ENTITY_REFS_CACHE.load_many(urns, load, ttl=3600)
    return {urn: ref for urn, ref in found.items() if ref is not None}
