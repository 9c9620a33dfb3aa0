"""Consumers of other apps' events."""

from __future__ import annotations

from . import impact, services


def schema_registered(event) -> None:
    """A schema version registered: when it removes or retypes a field used downstream, publish
    ``dictamesh.lineage.impact.detected`` with what it reaches (notifications tell the owners)."""
    if event.type != "dictamesh.schemas.subject.version_registered":
        return
    data = event.data or {}
    subject, version = data.get("subject"), data.get("version")
    if not isinstance(subject, str) or not isinstance(version, int):
        return
    services.catch_up()  # the graph as of now, events just accepted included
    report = impact.breaking_changes(subject=subject, version=version)
    if report is not None:
        services.impact_detected(report)
