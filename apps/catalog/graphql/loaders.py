"""Per-request DataLoaders: each batches one level of a query into one SQL query."""

from __future__ import annotations

from graphql_sync_dataloaders import SyncDataLoader

from dictamesh.errors import NotFound

from .. import governed, selectors


class EntityByIdLoader(SyncDataLoader):
    """Entity states by id (relationship targets) as the request's caller may see them (None: it may not):
    one query for the entities, one for their owners, one for their sensitive fields."""

    with_context = True

    def __init__(self, request):
        self.request = request
        super().__init__(self.batch)

    def batch(self, ids: list[int]) -> list[dict | None]:
        queryset = selectors.entities_queryset().filter(pk__in=ids)
        visible = governed.visible(self.request)
        if visible and not governed.shown(self.request, ids):
            # the same SQL as every list: the read decision is taken in the query
            queryset = queryset.filter(selectors.EntityFilter(visible=visible).q())
        states = selectors.entity_states(queryset)
        found = {s["id"]: s for s in governed.entities(self.request, states, filtered=True)}
        return [found.get(pk) for pk in ids]


class RelationshipsLoader(SyncDataLoader):
    """Relationships of entities, those whose other end the request's caller may read."""

    with_context = True

    def __init__(self, request):
        self.request = request
        super().__init__(self.batch)

    def batch(self, ids: list[int]) -> list[list]:
        # ``ids``: entities of this request's results, which the caller may read
        by_entity = selectors.relationships_of(entity_ids=list(ids), visible=governed.visible(self.request))
        governed.note_shown(
            self.request,
            [end for rels in by_entity.values() for r in rels for end in (r.source_id, r.target_id)],
        )  # both ends of each relationship found were decided readable (the targets are loaded next)
        return [by_entity.get(pk, []) for pk in ids]


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
