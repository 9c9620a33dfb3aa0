"""Per-request DataLoaders: each batches one level of a query into one SQL query."""

from __future__ import annotations

from graphql_sync_dataloaders import SyncDataLoader

from dictamesh.errors import NotFound
from dictamesh.graphql.loaders import loader_in, prime

from .. import governed, selectors


class EntityByIdLoader(SyncDataLoader):
    """Entity states by id (relationship targets) as the request's caller may see them (None: it may not):
    one query for the entities the caller may read (the policies' SQL, as for a list: a read decision per
    target in Python cost a fifth of governance's share of a 100-entity query), one for their owners, one
    for their sensitive fields."""

    with_context = True

    def __init__(self, request):
        self.request = request
        super().__init__(self.batch)

    def batch(self, ids: list[int]) -> list[dict | None]:
        found = self.states(ids)
        return [found.get(pk) for pk in ids]

    def states(self, ids) -> dict[int, dict]:
        """The states of ``ids`` the caller may read, masked, by id."""
        queryset = selectors.entities_queryset().filter(pk__in=list(ids))
        visible = governed.visible(self.request)
        if visible is not None:
            queryset = queryset.filter(selectors.EntityFilter(visible=visible).q())
        states = selectors.entity_states(queryset)
        return {s["id"]: s for s in governed.entities(self.request, states, filtered=True)}

    def now(self, ids: set[int]) -> dict[int, dict | None]:
        """``ids`` loaded now (one batch for those not loaded yet), as ``load`` will answer them."""
        missing = {pk for pk in ids if not (pk in self._cache and self._cache[pk].done())}
        if missing:
            found = self.states(missing)
            prime(self, {pk: found.get(pk) for pk in missing})
        return {pk: self._cache[pk].result() for pk in ids}


class RelationshipsLoader(SyncDataLoader):
    """Relationships of entities, those whose other end the request's caller may read."""

    with_context = True

    def __init__(self, request):
        self.request = request
        super().__init__(self.batch)

    def batch(self, ids: list[int]) -> list[list]:
        # ``ids``: entities of this request's results, which the caller may read
        by_entity = selectors.relationships_of(entity_ids=list(ids))
        if governed.visible(self.request) is not None:
            # the other ends decided by loading them (they are the targets the query reads next): a
            # relationship whose other end is deleted or unreadable is not shown
            others = {pk: [other(rel, pk) for rel in rels] for pk, rels in by_entity.items()}
            ends = loader_in(self.request, EntityByIdLoader).now(
                {o for ends in others.values() for o in ends}
            )
            by_entity = {
                pk: [rel for rel, end in zip(rels, others[pk], strict=True) if ends[end] is not None]
                for pk, rels in by_entity.items()
            }
        return [by_entity.get(pk, []) for pk in ids]


def other(rel, entity_id: int) -> int:
    """The other end of ``rel`` seen from ``entity_id`` (a bidirectional one is seen from both)."""
    return rel.target_id if rel.source_id == entity_id else rel.source_id


class HistoryLoader(SyncDataLoader):
    """Versions of entities, masked as the request's caller sees them."""

    with_context = True

    def __init__(self, request):
        self.request = request
        super().__init__(self.batch)

    def batch(self, urns: list[str]) -> list[list[selectors.Version]]:
        by_urn = selectors.histories(urns=list(urns))
        out = []
        for urn in urns:
            try:
                out.append(governed.versions(self.request, None, by_urn[urn]))
            except NotFound:
                out.append([])
        return out
