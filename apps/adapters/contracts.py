"""The shapes of the adapters' REST operations, documented in the OpenAPI (docs/api.md, docs/adapters.md).
An instance's ``config`` is validated by its kind's pydantic model (``GET /adapters/kinds`` gives each
kind's JSON Schema); secrets in it are environment references, never values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, StringConstraints

from dictamesh.contracts import Contract, hinted


class InstanceIn(Contract):
    """An adapter instance to configure (PATCH: only the fields sent change; the name is fixed)"""

    what: ClassVar[str] = "adapter instance"
    name: str = hinted("2-100 lowercase letters, digits, - or _, starting with a letter",
                       pattern=r"^[a-z][a-z0-9_-]{1,99}$", examples=["crm"])  # fmt: skip
    kind: str = hinted(
        "an adapter kind's name (GET /adapters/kinds)", examples=["rest", "postgresql", "kafka"]
    )
    config: dict[str, Any] = hinted("a JSON object, as the kind's JSON Schema says")
    enabled: bool = hinted("true or false")
    domain: str = hinted("required: the catalog domain of its entities", min_length=1, max_length=100)
    owners: list[Annotated[str, StringConstraints(pattern=r"^(user|group):[^\s:][^\s]*$")]] = hinted(
        "a list of principals: user:<name> or group:<name>", examples=[["user:olga", "group:crm-team"]]
    )
    sync_interval_seconds: int | None = hinted("whole seconds, at least 60 (or null: on demand only)", ge=60)


class Instance(BaseModel):
    """An adapter instance"""

    name: str
    kind: str
    config: dict[str, Any]
    enabled: bool
    domain: str
    owners: list[str]
    sync_interval_seconds: int | None
    checkpoint: Any
    last_sync_at: datetime | None
    last_success_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class Instances(BaseModel):
    """Every adapter instance"""

    instances: list[Instance]


class SyncIn(Contract):
    """A sync to start"""

    what: ClassVar[str] = "sync"
    full: bool = hinted("true or false", False, description="from the start instead of the last checkpoint")


class Run(BaseModel):
    """A sync run"""

    id: int
    instance: str
    full: bool
    status: str
    trigger: str
    requested_by: str | None
    counts: dict[str, Any]
    total: int | None
    error: str | None
    retryable: bool | None
    cancel_requested: bool
    checkpoint_from: Any
    checkpoint_to: Any
    queued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: int | None


class RunPage(BaseModel):
    """An instance's sync runs, newest first; pass next_cursor as cursor for the next page"""

    total: int
    items: list[Run]
    next_cursor: str | None


class Kind(BaseModel):
    """An adapter kind: its capabilities and the JSON Schema of its configuration"""

    kind: str
    title: str
    capabilities: list[str]
    config_schema: dict[str, Any]


class Kinds(BaseModel):
    """The adapter kinds this deployment has"""

    kinds: list[Kind]


class Health(BaseModel):
    """A connection test: whether the source answered, and how fast"""

    ok: bool
    detail: str
    latency_ms: float | None


class Discovered(BaseModel):
    """What the source holds: entity types, their schemas, keys and relationships"""

    entity_types: list[dict[str, Any]]
