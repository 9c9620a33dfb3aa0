"""Consumers of other apps' events."""

from __future__ import annotations

from . import impact


def schema_registered(event) -> None:
    """A schema version registered: publish ``dictamesh.lineage.impact.detected`` when it breaks a field used
    downstream (``impact.on_schema_event``)."""
    impact.on_schema_event(event)
