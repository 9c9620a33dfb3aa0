"""The shapes of the adapters' REST operations, documented in the OpenAPI (docs/api.md, docs/adapters.md).
An instance's ``config`` is validated by its kind's pydantic model (``GET /adapters/kinds`` gives each
kind's JSON Schema); secrets in it are environment references, never values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class InstanceIn(BaseModel):
    """An adapter instance to configure (PATCH: only the fields sent change; name and kind are fixed)"""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, examples=["crm"])
    kind: str | None = Field(default=None, examples=["rest", "postgresql", "kafka"])
    config: dict[str, Any] | None = Field(default=None, description="as the kind's JSON Schema says")
    enabled: bool | None = None
    domain: str | None = None
    owners: list[str] | None = Field(default=None, examples=[["user:olga", "group:crm-team"]])
    sync_interval_seconds: int | None = Field(default=None, ge=0)


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


class SyncIn(BaseModel):
    """A sync to start"""

    model_config = ConfigDict(extra="forbid")
    full: bool = Field(default=False, description="from the start instead of the last checkpoint")


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
