"""The stewards' bulk edits of entities (the admin's actions): each a normal versioned change, through the
catalog's upsert and its governance check."""

from __future__ import annotations

from typing import Any

from .models import Entity
from .services import Check, ItemResult, entities_upsert, owners_of


def entities_bulk_edit(
    *, urns: list[str], add_owner: dict | None = None, add_tags: list[str] | None = None,
    classification: str | None = None, actor: str | None = None, check: Check | None = None,
) -> list[ItemResult]:  # fmt: skip
    """The stewards' bulk actions (admin): add an owner, add tags, classify — each a normal versioned change."""
    entities = (
        Entity.objects.filter(urn__in=urns, deleted_at__isnull=True)
        .select_related("domain", "source")
        .prefetch_related("owners")
    )
    items = []
    for entity in entities:
        item: dict[str, Any] = {"urn": entity.urn}
        if add_owner:
            item["owners"] = [*owners_of(entity), add_owner]
        if add_tags:
            item["tags"] = sorted(set(entity.tags) | set(add_tags))
        if classification:
            item["classification"] = classification
        items.append(item)
    return entities_upsert(items=items, mode="update", actor=actor, check=check)
