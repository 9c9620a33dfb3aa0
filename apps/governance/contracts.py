"""What governance hands to other apps: who asks (Actor), about what (Resource), and the answer (Decision)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ACTIONS = ("read", "read_sensitive", "write", "delete", "manage")
RESOURCE_KINDS = ("entity", "field", "schema", "lineage", "domain", "governance")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")  # in increasing sensitivity
SENSITIVE_CLASSIFICATIONS = frozenset({"confidential", "restricted"})
_RANKS = {c: i for i, c in enumerate(CLASSIFICATIONS)}


def rank(level: str) -> int:
    """How sensitive a classification is (an unknown one counts as internal)."""
    return _RANKS.get(level, 1)


def most_sensitive(a: str, b: str) -> str:
    return a if rank(a) >= rank(b) else b


MASKS = ("redact", "partial", "hash", "null")


@dataclass(frozen=True)
class Actor:
    """The caller, resolved once per request: its groups and roles come from one query."""

    username: str = ""
    user_id: int | None = None
    authenticated: bool = False
    superuser: bool = False
    staff: bool = False
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    @cached_property
    def principals(self) -> frozenset[str]:
        """How catalog owners name people and teams: ``user:<name>``, ``group:<name>``, ``role:<name>``."""
        found = {f"group:{g}" for g in self.groups} | {f"role:{r}" for r in self.roles}
        if self.username:
            found.add(f"user:{self.username}")
        return frozenset(found)

    @property
    def label(self) -> str:
        return f"user:{self.username}" if self.username else "anonymous"


ANONYMOUS = Actor()


@dataclass(frozen=True)
class Resource:
    """What is asked about. An entity's attributes carry over to its fields (a field is ``urn#path``)."""

    kind: str
    urn: str = ""
    type: str = ""
    domain: str = ""
    source: str = ""
    classification: str = "internal"
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    field: str = ""
    pii: tuple[str, ...] = ()
    subject: str = ""

    @property
    def label(self) -> str:
        if self.kind == "field":
            return f"{self.urn}#{self.field}"
        return self.urn or self.subject or self.domain or self.kind

    def as_dict(self) -> dict:
        out = {"kind": self.kind}
        for name in ("urn", "type", "domain", "source", "field", "subject"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["classification"] = self.classification
        if self.tags:
            out["tags"] = list(self.tags)
        if self.owners:
            out["owners"] = list(self.owners)
        if self.pii:
            out["pii"] = list(self.pii)
        return out


@dataclass(frozen=True)
class Matched:
    policy: str
    effect: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    reason: str  # superuser, allowed_by_policy, denied_by_policy, restricted_by_default, default_open, ...
    message: str
    matched: tuple[Matched, ...] = field(default_factory=tuple)
    mask: str | None = None  # what a denied read_sensitive hides a value with

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "action": self.action,
            "reason": self.reason,
            "message": self.message,
            "policies": [{"name": m.policy, "effect": m.effect} for m in self.matched],
            **({"mask": self.mask} if self.mask else {}),
        }


# -- the REST API's request bodies (documented in the OpenAPI; docs/api.md) ---------------------------------
# Read and cleaned by hand in services (every problem reported per field at once, an unknown field refused);
# these models state what that cleaning accepts.
_STRICT = ConfigDict(extra="forbid")
_SLUG = r"^[a-z0-9][a-z0-9_-]{0,99}$"


class PolicyIn(BaseModel):
    """An access policy (PATCH: only the fields sent change; in force at the next request)"""

    model_config = _STRICT
    name: str | None = Field(default=None, pattern=_SLUG)
    description: str | None = Field(default=None, max_length=5000)
    effect: Literal["allow", "deny"] | None = None
    actors: list[str] | None = Field(
        default=None, examples=[["role:stewards", "group:finance", "owner"]],
        description="*, authenticated, anonymous, owner, user:<name>, group:<name>, role:<name>",
    )  # fmt: skip
    actions: list[str] | None = Field(default=None, description=f"{', '.join(ACTIONS)} or *")
    resources: list[str] | None = Field(default=None, description=f"{', '.join(RESOURCE_KINDS)} or *")
    condition: str | None = Field(default=None, examples=["resource.domain == 'finance'"])
    mask: str | None = Field(default=None, description=f"{', '.join(MASKS)} (for read_sensitive)")
    enabled: bool | None = None


class Policy(BaseModel):
    """An access policy"""

    name: str
    description: str
    effect: Literal["allow", "deny"]
    actors: list[str]
    actions: list[str]
    resources: list[str]
    condition: str
    mask: str | None
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class Policies(BaseModel):
    """Every access policy"""

    items: list[Policy]


class RoleIn(BaseModel):
    """A role and its members (PUT replaces the description and the members named)"""

    model_config = _STRICT
    name: str | None = Field(default=None, pattern=_SLUG)
    description: str | None = None
    users: list[str] | None = None
    groups: list[str] | None = None


class RoleOut(BaseModel):
    """A role and its members"""

    name: str
    description: str
    users: list[str]
    groups: list[str]


class Roles(BaseModel):
    """Every role"""

    items: list[RoleOut]


class FieldClassificationIn(BaseModel):
    """A steward's classification of a field (confirmed at once)"""

    model_config = _STRICT
    urn: str
    path: str = Field(examples=["properties.email", "email"])
    classification: str = Field(description=", ".join(CLASSIFICATIONS))
    pii_category: str | None = None
    evidence: str | None = Field(default=None, max_length=2000)


class DetectIn(BaseModel):
    """An entity and sample rows to look for PII in"""

    model_config = _STRICT
    urn: str
    samples: list[dict[str, Any]] | None = None
    properties: bool = True


class ConsentIn(BaseModel):
    """A consent given or withdrawn (the subject is kept as a keyed hash, never in clear)"""

    model_config = _STRICT
    subject: str
    purpose: str
    status: Literal["granted", "withdrawn"]
    version: str | None = Field(default=None, max_length=50)
    source: str | None = Field(default=None, max_length=100)
    evidence: dict[str, Any] | None = None
    expires_at: datetime | None = None


class ConsentLookupIn(BaseModel):
    """A subject whose consents to look up"""

    model_config = _STRICT
    subject: str
    purpose: str | None = None
    history: bool = False


class ConsentCheckIn(BaseModel):
    """Subjects to check against a purpose"""

    model_config = _STRICT
    purpose: str
    subjects: list[str]


class RetentionPolicyIn(BaseModel):
    """A retention policy (PATCH: only the fields sent change; enforce: true to apply it)"""

    model_config = _STRICT
    name: str | None = Field(default=None, pattern=_SLUG)
    description: str | None = None
    domain: str | None = None
    entity_type: str | None = None
    classification: str | None = None
    keep_days: int | None = Field(default=None, ge=1, le=36500)
    basis: Literal["updated_at", "created_at", "last_synced_at"] | None = None
    action: str | None = None
    enforce: bool | None = None
    enabled: bool | None = None


class LegalHoldIn(BaseModel):
    """A legal hold: what it covers is kept whatever the retention policies say"""

    model_config = _STRICT
    name: str = Field(pattern=_SLUG)
    reason: str
    domain: str | None = None
    urn_pattern: str | None = None
