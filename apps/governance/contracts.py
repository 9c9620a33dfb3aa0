"""What governance hands to other apps: the decision types (from ``decisions``: Actor, Resource, Decision),
the contracts of its operations' inputs (parsed alike by REST, GraphQL and the admin) and its answers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from dictamesh.contracts import SLUG_HINT, Contract, Slug, hinted, text

from .decisions import (  # noqa: F401 - the decision types, re-exported: other apps read them here
    ACTIONS,
    ANONYMOUS,
    CLASSIFICATIONS,
    MASKS,
    RESOURCE_KINDS,
    SENSITIVE_CLASSIFICATIONS,
    Actor,
    Decision,
    Matched,
    Resource,
    most_sensitive,
    rank,
)

# -- the inputs of governance's writes (REST, GraphQL and the admin parse them alike: dictamesh.contracts) ------
ACTOR_SPEC = re.compile(r"^(\*|authenticated|anonymous|owner|(user|group|role):[^\s:][^\s]{0,190})$")
ACTOR_SPECS = "*, authenticated, anonymous, owner, user:<name>, group:<name>, role:<name>"
PATH = re.compile(r"^[^.\s#][^\s#]{0,299}$")
CLASSIFICATION_HINT = f"one of {', '.join(CLASSIFICATIONS)}"
Classification = Literal[CLASSIFICATIONS]  # type: ignore[valid-type]
Specs = Annotated[list[str], Field(min_length=1, max_length=100)]
NON_EMPTY_LIST = "a non-empty list of strings, at most 100"


def _each(values: list[str], ok, known: str) -> list[str]:
    bad = [v for v in values if not ok(v)]
    if bad:
        raise ValueError(f"unknown {bad[0]!r}: each must be {known}")
    return list(dict.fromkeys(values))


class PolicyIn(Contract):
    """An access policy (PATCH: only the fields sent change; in force at the next request)"""

    what: ClassVar[str] = "policy"
    required: ClassVar[tuple[str, ...]] = ("name", "effect", "actors", "actions", "resources")
    unknown_first: ClassVar[bool] = True  # a misspelt field name makes the rest of a policy a guess
    name: Slug = hinted(SLUG_HINT)
    description: str = hinted("a string of at most 5,000 characters", max_length=5000)
    effect: Literal["allow", "deny"] = hinted("allow or deny")
    actors: Specs = hinted(NON_EMPTY_LIST, examples=[["role:stewards", "group:finance", "owner"]],
                           description=ACTOR_SPECS)  # fmt: skip
    actions: Specs = hinted(NON_EMPTY_LIST, description=f"{', '.join(ACTIONS)} or *")
    resources: Specs = hinted(NON_EMPTY_LIST, description=f"{', '.join(RESOURCE_KINDS)} or *")
    condition: str | None = hinted("a string", examples=["resource.domain == 'finance'"])
    mask: str | None = hinted(
        f"one of {', '.join(MASKS)}", description=f"{', '.join(MASKS)} (for read_sensitive)"
    )
    enabled: bool = hinted("true or false")

    @field_validator("actors")
    @classmethod
    def _actors(cls, value: list[str]) -> list[str]:
        return _each(value, ACTOR_SPEC.match, ACTOR_SPECS)

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        return _each(value, lambda v: v in (*ACTIONS, "*"), f"one of {', '.join((*ACTIONS, '*'))}")

    @field_validator("resources")
    @classmethod
    def _resources(cls, value: list[str]) -> list[str]:
        allowed = (*RESOURCE_KINDS, "*")
        return _each(value, lambda v: v in allowed, f"one of {', '.join(allowed)}")

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: str | None) -> str:
        from . import expressions  # expressions reads this module's types

        try:
            expressions.parse(value or "")
        except expressions.ExpressionError as exc:
            raise ValueError(exc.fields["condition"]) from None
        return (value or "").strip()

    @field_validator("mask")
    @classmethod
    def _mask(cls, value: str | None) -> str:
        if value and value not in MASKS:
            raise ValueError(f"one of {', '.join(MASKS)}")
        return value or ""


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


class RoleIn(Contract):
    """A role and its members (PUT replaces the description and the members named)"""

    what: ClassVar[str] = "role"
    name: Slug = hinted(SLUG_HINT)
    description: str = hinted("a string", max_length=5000)
    users: list[str] = hinted("a list of user names")
    groups: list[str] = hinted("a list of group names")


class RoleOut(BaseModel):
    """A role and its members"""

    name: str
    description: str
    users: list[str]
    groups: list[str]


class Roles(BaseModel):
    """Every role"""

    items: list[RoleOut]


class FieldClassificationIn(Contract):
    """A steward's classification of a field (confirmed at once)"""

    what: ClassVar[str] = "field classification"
    urn: str = hinted("an entity URN (dm:…)", ..., pattern=r"^dm:", max_length=512)
    path: str = hinted("a dotted property path, at most 300 characters", ..., pattern=PATH.pattern,
                       examples=["properties.email", "email"])  # fmt: skip
    classification: Classification = hinted(CLASSIFICATION_HINT, "confidential")
    pii_category: str | None = hinted("a PII category", "")
    evidence: str = hinted("a string of at most 2,000 characters", "", max_length=2000)

    @field_validator("pii_category")
    @classmethod
    def _category(cls, value: str | None) -> str:
        from .expressions import PII_CATEGORIES

        if value and value not in PII_CATEGORIES:
            raise ValueError(f"one of {', '.join(PII_CATEGORIES)}")
        return value or ""


class DetectIn(Contract):
    """An entity and sample rows to look for PII in"""

    what: ClassVar[str] = "detection request"
    urn: str
    samples: list[dict[str, Any]] | None = hinted("list of objects")
    properties: bool = True


class ConsentIn(Contract):
    """A consent given or withdrawn (the subject is kept as a keyed hash, never in clear)"""

    what: ClassVar[str] = "consent record"
    subject: text(500) = hinted(
        "the subject's identifier (e-mail, customer id, …), at most 500 characters", ...
    )
    purpose: Slug = hinted("a slug: marketing-email, analytics, …", ...)
    status: Literal["granted", "withdrawn"] = hinted("granted or withdrawn", ...)
    version: text(50) = hinted("required, at most 50 characters", ...)
    source: text(100) = hinted("required, at most 100 characters", ...)
    evidence: dict[str, Any] = hinted("a JSON object (IP, form id, recording id, …), at most 10 kB", {})
    expires_at: datetime | None = hinted("an ISO 8601 date-time", strict=False)

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, value: dict) -> dict:
        if len(str(value)) > 10000:
            raise ValueError("a JSON object (IP, form id, recording id, …), at most 10 kB")
        return value


class ConsentLookupIn(Contract):
    """A subject whose consents to look up"""

    what: ClassVar[str] = "lookup"
    subject: str
    purpose: Slug | None = hinted("a slug")
    history: bool = False


class ConsentCheckIn(Contract):
    """Subjects to check against a purpose"""

    what: ClassVar[str] = "check"
    purpose: Slug = hinted("a slug", ...)
    subjects: list[str] = hinted("a list of strings", ...)


class RetentionPolicyIn(Contract):
    """A retention policy (PATCH: only the fields sent change; enforce: true to apply it)"""

    what: ClassVar[str] = "retention policy"
    required: ClassVar[tuple[str, ...]] = ("name", "keep_days", "action")
    name: Slug = hinted("a slug")
    description: str = hinted("a string", max_length=5000)
    domain: str = hinted("a string", max_length=5000)
    entity_type: str = hinted("a string", max_length=5000)
    classification: Literal[("", *CLASSIFICATIONS)] = hinted(f"{CLASSIFICATION_HINT}, or empty")  # type: ignore[valid-type]
    keep_days: int = hinted("a whole number of days, 1..36500", ge=1, le=36500)
    basis: Literal["updated_at", "created_at", "last_synced_at"] = hinted(
        "updated_at, created_at or last_synced_at"
    )
    action: Literal["delete", "anonymize"] = hinted("delete or anonymize")
    enforce: bool = hinted("true or false")
    enabled: bool = hinted("true or false")


class LegalHoldIn(Contract):
    """A legal hold: what it covers is kept whatever the retention policies say"""

    what: ClassVar[str] = "legal hold"
    name: Slug = hinted("a slug", ...)
    reason: text(5000) = hinted("required: the matter, the case", ...)
    domain: str = hinted("a string", "", max_length=5000)
    urn_pattern: str = hinted("a string", "", max_length=5000)

    def invalid_fields(self) -> dict[str, str]:
        return {} if self.domain or self.urn_pattern else {"domain": "name a domain or a URN pattern"}


# -- answers (documented in the OpenAPI, not validated on the way out: docs/api.md) ------------------------
class Deleted(BaseModel):
    """What was deleted"""

    name: str
    deleted: bool


class ExplainedActor(BaseModel):
    name: str
    groups: list[str]
    roles: list[str]
    superuser: bool
    staff: bool


class Explanation(BaseModel):
    """Which policies decided whether the actor may do the action to the resource, and why (a caller who may
    not read the resource learns the decision, not its attributes)"""

    actor: ExplainedActor
    action: str
    resource: dict[str, Any]
    decision: dict[str, Any]
    policies: list[dict[str, Any]]
    default: str
    policy_version: int
    resource_kinds: list[str]


class FieldClassification(BaseModel):
    """A field's classification: suggested by a detector or lineage, or a steward's decision"""

    id: int
    urn: str
    path: str
    classification: str
    pii_category: str | None
    status: Literal["suggested", "confirmed", "rejected"]
    confidence: float
    detector: str
    evidence: str
    origin: int | None
    hops: int
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class FieldClassifications(BaseModel):
    """Field classifications"""

    items: list[FieldClassification]


class Suggestions(BaseModel):
    """The PII suggestions a detection made (decided fields keep their decision)"""

    urn: str
    suggestions: list[FieldClassification]


class AccessReport(BaseModel):
    """Sensitive reads or denials: rows, newest first, or groups per user or per entity with counts"""

    kind: str
    group: str | None = None
    since: datetime | None
    until: datetime | None
    rows: list[dict[str, Any]] | None = None
    truncated: bool | None = None
    groups: list[dict[str, Any]] | None = None


class Consent(BaseModel):
    """A consent record (the subject shown only as a partial mask)"""

    id: int
    subject: str
    purpose: str
    status: Literal["granted", "withdrawn"]
    in_force: bool
    version: str
    source: str
    evidence: dict[str, Any]
    recorded_at: datetime
    recorded_by: str
    expires_at: datetime | None


class Consents(BaseModel):
    """A subject's consents: in force per purpose, or every record"""

    consents: list[Consent]


class ConsentCheck(BaseModel):
    """Whether each subject consents to the purpose now"""

    purpose: str
    consents: dict[str, bool]


class RetentionPolicy(BaseModel):
    """A retention policy"""

    name: str
    description: str
    domain: str
    entity_type: str
    classification: str
    keep_days: int
    basis: str
    action: Literal["delete", "anonymize"]
    enforce: bool
    enabled: bool
    updated_at: datetime


class RetentionPolicies(BaseModel):
    """Retention policies"""

    items: list[RetentionPolicy]


class RetentionRun(BaseModel):
    """A run of a retention policy: what it found, kept for a legal hold, applied or failed to"""

    id: int
    policy: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    candidates: int
    held: int
    applied: int
    failed: int
    items: list[dict[str, Any]]


class RetentionRuns(BaseModel):
    """Runs of retention policies, newest first"""

    items: list[RetentionRun]


class LegalHold(BaseModel):
    """A legal hold"""

    name: str
    reason: str
    domain: str
    urn_pattern: str
    active: bool
    created_by: str
    created_at: datetime
    released_at: datetime | None


class LegalHolds(BaseModel):
    """Legal holds"""

    items: list[LegalHold]
