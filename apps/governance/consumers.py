"""Consumers of other apps' events."""

from __future__ import annotations

from apps.catalog.contracts import ENTITY_REGISTERED, ENTITY_RESTORED, ENTITY_UPDATED
from dictamesh.errors import NotFound

from . import classification


def entity_changed(event) -> None:
    """An entity registered or changed: its properties are scanned for PII (names and values), and the
    catalog is told again which of them are sensitive (a classification may predate the entity)."""
    if event.type not in (ENTITY_REGISTERED, ENTITY_UPDATED, ENTITY_RESTORED):
        return
    data = event.data or {}
    changed = data.get("changed_fields") or []
    if event.type == ENTITY_UPDATED and "properties" not in changed:
        return
    if classification.has_confirmed(urn=event.subject):
        classification.sync_entity(event.subject, changed=False)  # the entity changed, not its fields
    try:
        classification.fields_detect(urn=event.subject, rows=[], properties=True)
    except NotFound:  # deleted since: nothing to scan
        return
