"""Frozen shapes the catalog shares with other apps, and its event types."""

from __future__ import annotations

from dataclasses import dataclass

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
