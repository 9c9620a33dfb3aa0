"""Frozen shapes the catalog shares with other apps, and its event types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from dictamesh.contracts import Contract, hinted, text

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


# -- inputs: contracts that REST, GraphQL, the admin and the bulk upsert parse alike (dictamesh.contracts) ---
# Answers are governed: a field the caller may not read_sensitive comes back masked, a string
# ("[REDACTED]" or a partial mask) whatever its type, which is why the maskable fields admit a string.
# ``id``, ``urn`` and the identity fields are never masked.
MAX_DESCRIPTION = 20_000
MAX_TAGS = 64
MAX_OWNERS = 50
MAX_PROPERTIES_BYTES = 64 * 1024
MAX_TTL = 7 * 24 * 3600
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$"
PRINCIPAL_PATTERN = r"^(user|group):\S{1,190}$"
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
ROLES = ("technical", "business", "steward")
STRATEGIES = ("ttl", "none")
Classification = Literal["public", "internal", "confidential", "restricted"]
_OWNER_HINT = (
    f"at most {MAX_OWNERS} owners: user:<name>, group:<name>, or {{principal, role: {', '.join(ROLES)}}}"
)


def _trimmed(limit: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=limit)]


class Owner(BaseModel):
    """An owner of an entity"""

    model_config = ConfigDict(extra="forbid", strict=True)
    principal: str = Field(examples=["user:alice"], pattern=PRINCIPAL_PATTERN)
    role: Literal["technical", "business", "steward"] = "technical"


class CacheSettings(BaseModel):
    """How the live data of an entity is cached"""

    model_config = ConfigDict(extra="forbid", strict=True)
    ttl_seconds: int | None = hinted(f"an integer from 0 to {MAX_TTL}", ge=0, le=MAX_TTL)
    strategy: Literal[STRATEGIES] | None = hinted(f"one of {', '.join(STRATEGIES)}")  # type: ignore[valid-type]


Principal = Annotated[str, StringConstraints(pattern=PRINCIPAL_PATTERN)]


class EntityChanges(Contract):
    """The fields of an entity a write may set (PATCH: only those sent change; null clears a text, the tags,
    the owners or the properties)"""

    what: ClassVar[str] = "entity"
    unknown_first: ClassVar[bool] = True  # a misspelt `source` is reported as what it is, nothing guessed
    name: _trimmed(255) | None = hinted("required: a string of at most 255 characters")
    display_name: _trimmed(255) | None = hinted("a string of at most 255 characters")
    description: _trimmed(MAX_DESCRIPTION) | None = hinted(
        f"a string of at most {MAX_DESCRIPTION:,} characters"
    )
    domain: _trimmed(100) | None = hinted("required: a domain's name", description="a domain's name")
    tags: list[Annotated[str, StringConstraints(pattern=TAG_PATTERN)]] | None = hinted(
        f"at most {MAX_TAGS} tags: letters, digits and _ . : / - (at most 100 each)", max_length=MAX_TAGS
    )
    classification: Classification = hinted(f"one of {', '.join(CLASSIFICATIONS)}")
    properties: dict[str, Any] | None = hinted(f"a JSON object of at most {MAX_PROPERTIES_BYTES} bytes")
    owners: list[Owner | Principal] | None = hinted(
        _OWNER_HINT, max_length=MAX_OWNERS, description="the whole list (replaces it)"
    )
    owners_add: list[Owner | Principal] | None = hinted(
        _OWNER_HINT, max_length=MAX_OWNERS, description="owners added, the others kept"
    )
    owners_remove: list[Owner | Principal] | None = hinted(
        _OWNER_HINT, max_length=MAX_OWNERS, description="owners removed, by principal"
    )
    cache: CacheSettings = hinted("{ttl_seconds, strategy}")
    schema_subject: _trimmed(255) | None = hinted(
        "a string of at most 255 characters", description="the subject of its data contract"
    )
    last_synced_at: datetime | None = hinted("an ISO 8601 date-time", strict=False)

    @field_validator("name", "domain")
    @classmethod
    def _required(cls, value: str | None) -> str:
        if not value:
            raise ValueError("required")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str]:
        return sorted(set(value or ()))

    @field_validator("owners", "owners_add", "owners_remove")
    @classmethod
    def _owners(cls, value: list | None) -> list[dict]:
        pairs = {(o, "technical") if isinstance(o, str) else (o.principal, o.role) for o in value or ()}
        return [{"principal": p, "role": r} for p, r in sorted(pairs)]

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: dict | None) -> dict:
        from dictamesh.db import dumps

        try:
            size = len(dumps(value or {}).encode())
        except TypeError:
            raise ValueError("a JSON object (its values must be JSON too)") from None
        if size > MAX_PROPERTIES_BYTES:
            raise ValueError(f"at most {MAX_PROPERTIES_BYTES} bytes of JSON (got {size})")
        return value or {}

    def changes(self) -> dict[str, Any]:
        """The fields sent, as the entity's columns: a null text is empty, the cache block two columns."""
        out: dict[str, Any] = {}
        for name in self.model_fields_set & _EDITABLE:
            value = getattr(self, name)
            if name == "cache":
                out.update(
                    {
                        f"cache_{k}": v
                        for k, v in value.model_dump(exclude_unset=True).items()
                        if v is not None
                    }
                )
            else:
                out[name] = "" if value is None and name in _TEXTS else value
        return out


_TEXTS = frozenset({"display_name", "description", "schema_subject"})
_EDITABLE = frozenset(EntityChanges.model_fields)


class EntityIn(EntityChanges):
    """An entity to register: a urn, or source + type + source_key; a new one needs a name and a domain"""

    urn: str | None = hinted("a URN: dm:<source>:<type>:<key>", examples=["dm:erp:table:public.orders"])
    source: str | None = hinted("a source system's name")
    type: str | None = hinted("an entity type: table, topic, …")
    entity_type: str | None = hinted("an entity type (the same as type)", description="the same as type")
    source_key: str | int | None = hinted("the entity's key in its source")

    @field_validator("source_key")
    @classmethod
    def _key(cls, value: str | int | None) -> str | None:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PREDICATE_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
CARDINALITIES = ("one_to_one", "one_to_many", "many_to_many")
PROVENANCES = ("manual", "adapter", "lineage")


class RelationshipIn(Contract):
    """A relationship to add (or update: the one with the same source, target and predicate)"""

    what: ClassVar[str] = "relationship"
    source: str = hinted("an entity URN", ..., pattern=r"^dm:")
    target: str = hinted("an entity URN", ..., pattern=r"^dm:")
    predicate: str = hinted(
        f"{', '.join(CARDINALITIES)} or a named predicate (lower_snake_case, at most 100)", ...,
        pattern=PREDICATE_PATTERN,
    )  # fmt: skip
    bidirectional: bool = hinted("true or false", False)
    metadata: dict[str, Any] | None = hinted("a JSON object (none: {})")
    confidence: float = hinted("a number from 0 to 1", 1.0, ge=0.0, le=1.0, allow_inf_nan=False)
    provenance: Literal[PROVENANCES] = hinted(f"one of {', '.join(PROVENANCES)}", "manual")  # type: ignore[valid-type]

    def invalid_fields(self) -> dict[str, str]:
        if self.source == self.target:
            return {"target": "a relationship joins two different entities (no self-loops)"}
        return {}


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


class RetrieveIn(Contract):
    """A question for the documents attached to entities"""

    what: ClassVar[str] = "question"
    query: text(2000) = hinted("required: what to look for", ...)
    k: int = hinted("a whole number from 1 to 50", 5, ge=1, le=50)
    domain: str | None = hinted("a domain's name")


class DocumentIn(Contract):
    """A document to attach to an entity (replaces the one with the same title)"""

    what: ClassVar[str] = "document"
    title: text(300) = hinted("1 to 300 characters", ...)
    content: Annotated[str, StringConstraints(min_length=1, max_length=1_000_000)] = hinted(
        "required: at most 1,000,000 characters", ...
    )
    content_type: Literal["markdown", "text"] = hinted("markdown or text", "markdown")


class DeprecateIn(Contract):
    """Deprecate an entity (with deprecated: false, undeprecate it)"""

    what: ClassVar[str] = "deprecation"
    note: str = hinted("at most 2,000 characters", "", max_length=2000)
    deprecated: bool = hinted("true or false", True)


class RelationshipKey(Contract):
    """The relationship to remove"""

    what: ClassVar[str] = "relationship"
    source: str | None = hinted("an entity URN")
    target: str | None = hinted("an entity URN")
    predicate: str | None = hinted("the relationship's predicate")


class DocumentAttached(BaseModel):
    """A document attached, and how many chunks it was cut into"""

    id: int
    title: str
    chunks: int


class RelationshipRemoved(BaseModel):
    """The relationship removed, as it was"""

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
    removed: bool


class BulkRequest(Contract):
    """The envelope of a bulk upsert; each entity is parsed on its own, so one bad item fails alone"""

    what: ClassVar[str] = "bulk request"
    entities: list[Any] = hinted("array", ...)
    synced: bool = hinted("true or false", False)


class DomainOut(BaseModel):
    """A domain of the catalog"""

    name: str
    display_name: str
    description: str
    owner: str


class SourceOut(BaseModel):
    """A source system"""

    name: str
    kind: str
    display_name: str
    description: str
    connection_ref: str
    owner: str


class EntityVersion(BaseModel):
    """A version of an entity: the change, who made it, and the state after it (as this caller may see it)"""

    version: int
    change: str
    changed_fields: list[str]
    actor: str
    changed_at: datetime
    state: dict[str, Any]


class EntityHistory(BaseModel):
    """The versions of an entity, oldest first"""

    urn: str
    versions: list[EntityVersion]


class EntityDiff(BaseModel):
    """The field-level changes between two versions"""

    model_config = ConfigDict(populate_by_name=True)
    urn: str
    from_: int = Field(alias="from")
    to: int
    changes: list[dict[str, Any]]


class Subgraph(BaseModel):
    """The entities within N hops of one, and the relationships among them"""

    root: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool


class EntityPath(BaseModel):
    """A shortest path between two entities (found: false when there is none within max_depth)"""

    found: bool
    path: dict[str, Any] | None


class Retrieved(BaseModel):
    """The document chunks closest in meaning to a question, with their entity and score"""

    results: list[dict[str, Any]]
