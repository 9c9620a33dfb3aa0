"""Per-request DataLoaders: each batches one level of a query into one SQL query."""

from __future__ import annotations

from graphql_sync_dataloaders import SyncDataLoader

from .. import selectors
from ..state import entity_state


class EntityByIdLoader(SyncDataLoader):
    """Entity states by id (relationship targets): one query for the entities, one for their owners."""

    def __init__(self):
        super().__init__(self.batch)

    @staticmethod
    def batch(ids: list[int]) -> list[dict | None]:
        found = {e.pk: entity_state(e) for e in selectors.entities_queryset().filter(pk__in=ids)}
        return [found.get(pk) for pk in ids]


class RelationshipsLoader(SyncDataLoader):
    def __init__(self):
        super().__init__(self.batch)

    @staticmethod
    def batch(ids: list[int]) -> list[list]:
        by_entity = selectors.relationships_of(entity_ids=list(ids))
        return [by_entity.get(pk, []) for pk in ids]


class HistoryLoader(SyncDataLoader):
    def __init__(self):
        super().__init__(self.batch)

    @staticmethod
    def batch(urns: list[str]) -> list[list[selectors.Version]]:
        by_urn = selectors.histories(urns=list(urns))
        return [by_urn[urn] for urn in urns]
