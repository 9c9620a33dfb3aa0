"""Catalog queries: entity, entities, search, neighbors, path, retrieve."""

from __future__ import annotations

import graphene

from dictamesh.contracts import parse
from dictamesh.errors import NotFound

from .. import documents, governed, graph, search, selectors
from ..contracts import RetrieveIn
from ..selectors import EntityFilter
from .types import (
    EntityConnection,
    EntityType,
    PathType,
    RetrievedChunkType,
    SearchResultType,
    SubgraphType,
)


class EntityFilterInput(graphene.InputObjectType):
    domain = graphene.String()
    source = graphene.String()
    type = graphene.String()
    tags = graphene.List(graphene.NonNull(graphene.String), description="All of these tags.")
    owner = graphene.String(description="user:<name> or group:<name>")
    classification = graphene.String()
    include_deprecated = graphene.Boolean(default_value=True)


def to_filter(value, info) -> EntityFilter:
    value = value or {}
    return EntityFilter(
        visible=governed.visible(info.context),
        domain=value.get("domain"),
        source=value.get("source"),
        type=value.get("type"),
        tags=tuple(value.get("tags") or ()),
        owner=value.get("owner"),
        classification=value.get("classification"),
        include_deprecated=value.get("include_deprecated", True) is not False,
    )


class CatalogQuery:
    entity = graphene.Field(
        EntityType, urn=graphene.String(required=True), description="One entity (cached)."
    )
    # not ``entities``: graphene-federation's ``_entities`` field takes that attribute name
    entity_list = graphene.Field(
        EntityConnection,
        name="entities",
        required=True,
        filter=EntityFilterInput(),
        sort=graphene.String(default_value="urn"),
        first=graphene.Int(default_value=50),
        after=graphene.String(),
    )
    search = graphene.Field(
        SearchResultType,
        required=True,
        query=graphene.String(default_value=""),
        mode=graphene.String(default_value="fulltext", description="fulltext, semantic or hybrid"),
        filters=EntityFilterInput(),
        sort=graphene.String(default_value="relevance"),
        first=graphene.Int(default_value=20),
        after=graphene.String(),
    )
    neighbors = graphene.Field(
        SubgraphType,
        required=True,
        urn=graphene.String(required=True),
        depth=graphene.Int(default_value=1),
        direction=graphene.String(default_value="both"),
        predicates=graphene.List(graphene.NonNull(graphene.String)),
        limit=graphene.Int(default_value=500),
    )
    path = graphene.Field(
        PathType,
        source=graphene.String(required=True),
        target=graphene.String(required=True),
        max_depth=graphene.Int(default_value=6),
        direction=graphene.String(default_value="both"),
        description="A shortest path, or null when none within max_depth.",
    )
    retrieve = graphene.List(
        graphene.NonNull(RetrievedChunkType),
        required=True,
        query=graphene.String(required=True),
        k=graphene.Int(default_value=5),
    )

    @staticmethod
    def resolve_entity(root, info, urn):
        try:
            return governed.entity(info.context, selectors.entity_get(urn=urn))
        except NotFound:
            return None

    @staticmethod
    def resolve_entity_list(root, info, sort, first, filter=None, after=None):  # noqa: A002 - GraphQL name
        page = selectors.entity_list(filters=to_filter(filter, info), sort=sort, first=first, after=after)
        return {
            "nodes": governed.entities(info.context, page.items, filtered=True),
            "page_info": {"has_next_page": page.has_next, "end_cursor": page.next_cursor},
        }

    @staticmethod
    def resolve_search(root, info, query, mode, sort, first, filters=None, after=None):
        result = search.search(
            query=query, mode=mode, filters=to_filter(filters, info), sort=sort, first=first, after=after
        )
        return {
            "mode": result.mode,
            "total": result.total,
            "exact": result.exact,
            "corrected": result.corrected,
            "hits": governed.hits(info.context, result.items),
            "facets": result.facets,
            "page_info": {"has_next_page": result.next_cursor is not None, "end_cursor": result.next_cursor},
        }

    @staticmethod
    def resolve_neighbors(root, info, urn, depth, direction, limit, predicates=None):
        return graph.subgraph(
            urn=urn,
            depth=depth,
            direction=direction,
            predicates=predicates,
            limit=limit,
            visible=governed.visible(info.context),
        )

    @staticmethod
    def resolve_path(root, info, source, target, max_depth, direction):
        return graph.shortest_path(
            source=source,
            target=target,
            max_depth=max_depth,
            direction=direction,
            visible=governed.visible(info.context),
        )

    @staticmethod
    def resolve_retrieve(root, info, query, k):
        from dictamesh.graphql.context import require_user

        require_user(info)  # as POST /catalog/retrieve: retrieval is for callers with an identity
        return documents.retrieve(
            question=parse(RetrieveIn, {"query": query, "k": k}), visible=governed.visible(info.context)
        )
