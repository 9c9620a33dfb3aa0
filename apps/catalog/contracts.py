"""Frozen shapes the catalog shares with other apps, and its event types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .events import (  # noqa: F401 - re-exported: event types other apps subscribe to
    ENTITY_DELETED,
    ENTITY_DEPRECATED,
    ENTITY_REGISTERED,
    ENTITY_RESTORED,
    ENTITY_UPDATED,
    RELATIONSHIP_ADDED,
    RELATIONSHIP_REMOVED,
    RELATIONSHIP_UPDATED,
)


@dataclass(frozen=True)
class EntityRef:
    id: int
    urn: str
    type: str
    name: str
    domain: str
    source: str
    classification: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]


# -- the REST API's shapes (documented in the OpenAPI; docs/api.md) --------------------------------------
# Request bodies are read by hand and cleaned by ``inputs`` (every problem reported per field, at once; the
# bulk upsert is measured: docs/benchmarks.md); these models state what that cleaning accepts. A field the
# entity does not have is refused (``inputs.FIELDS``), as ``extra="forbid"`` says here.
# Answers are governed: a field the caller may not read_sensitive comes back masked, a string
# ("[REDACTED]" or a partial mask) whatever its type, which is why the maskable fields admit a string.
# ``id``, ``urn`` and the identity fields are never masked.


class Owner(BaseModel):
    """An owner of an entity"""

    model_config = ConfigDict(extra="forbid")
    principal: str = Field(examples=["user:alice"], pattern=r"^(user|group):\S{1,190}$")
    role: Literal["technical", "business", "steward"] = "technical"


class CacheSettings(BaseModel):
    """How the live data of an entity is cached"""

    model_config = ConfigDict(extra="forbid")
    ttl_seconds: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    strategy: str | None = None


Classification = Literal["public", "internal", "confidential", "restricted"]


class EntityChanges(BaseModel):
    """The fields of an entity a write may set (PATCH: only those sent change)"""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=20000)
    domain: str | None = Field(default=None, description="a domain's name")
    tags: list[str] | None = Field(default=None, max_length=64)
    classification: Classification | None = None
    properties: dict[str, Any] | None = None
    owners: list[Owner] | None = Field(default=None, description="the whole list (replaces it)")
    owners_add: list[Owner] | None = Field(default=None, description="owners added, the others kept")
    owners_remove: list[Owner] | None = Field(default=None, description="owners removed, by principal")
    cache: CacheSettings | None = None
    schema_subject: str | None = Field(default=None, description="the subject of its data contract")
    last_synced_at: datetime | None = None


class EntityIn(EntityChanges):
    """An entity to register: a urn, or source + type + source_key; a new one needs a name and a domain"""

    urn: str | None = Field(default=None, examples=["dm:erp:table:public.orders"])
    source: str | None = None
    type: str | None = None
    source_key: str | None = None


class EntityBulkIn(BaseModel):
    """Up to DICTAMESH_CATALOG_BULK_MAX entities created or updated by URN"""

    model_config = ConfigDict(extra="forbid")
    entities: list[EntityIn]
    synced: bool = Field(default=False, description="set by adapters: the entities' last_synced_at is now")


_Masked = str  # a masked value: "[REDACTED]" or a partial mask


class Entity(BaseModel):
    """An entity as this caller may see it (sensitive fields masked)"""

    id: int
    urn: str
    type: str
    name: str
    display_name: str
    description: str
    domain: str
    source: str
    source_key: str
    version: int
    schema_subject: str
    owners: list[Owner] | _Masked
    tags: list[str] | _Masked
    classification: Classification | _Masked
    properties: dict[str, Any] | _Masked
    cache: CacheSettings
    created_at: datetime
    updated_at: datetime
    deprecated: bool
    deprecated_at: datetime | None
    deprecation_note: str
    deleted: bool
    deleted_at: datetime | None
    last_synced_at: datetime | None


class EntityPage(BaseModel):
    """A page of entities; pass next_cursor as cursor for the next one"""

    items: list[Entity]
    next_cursor: str | None


class EntityDeleted(BaseModel):
    """A deleted entity (soft: its history is kept)"""

    urn: str
    deleted: bool
    version: int


class BulkItemResult(BaseModel):
    """What became of one entity of a bulk upsert"""

    index: int
    urn: str | None
    status: Literal["created", "updated", "restored", "unchanged", "error"]
    version: int | None = None
    error: dict[str, Any] | None = None


class BulkResult(BaseModel):
    """Counts by status, and one result per entity sent, in order"""

    counts: dict[str, int]
    results: list[BulkItemResult]


class SearchHit(BaseModel):
    """One entity found, with its score (higher is closer)"""

    entity: Entity
    score: float | None


class SearchResult(BaseModel):
    """Search results with facets; ``exact``: whether ``total`` is an exact count or an estimate"""

    mode: Literal["fulltext", "semantic", "hybrid"]
    total: int | None
    exact: bool
    corrected: str | None
    items: list[SearchHit]
    facets: dict[str, list[dict[str, Any]]]
    next_cursor: str | None


class Relationship(BaseModel):
    """A relationship between two entities; ``status``: created, updated or unchanged"""

    id: int
    source: str
    target: str
    predicate: str
    bidirectional: bool
    metadata: dict[str, Any]
    confidence: float
    provenance: str
    created_at: datetime
    updated_at: datetime
    status: str


class RetrieveIn(BaseModel):
    """A question for the documents attached to entities"""

    model_config = ConfigDict(extra="forbid")
    query: str
    k: int = Field(default=5, ge=1, le=50)
    domain: str | None = None
