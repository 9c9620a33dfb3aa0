"""GraphQL types of the catalog. Entities resolve from their state dict (``state.entity_state``)."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar
from graphene_federation import key

from dictamesh.graphql.loaders import loader_for, then

from .loaders import EntityByIdLoader, HistoryLoader, RelationshipsLoader

Classification = graphene.Enum(
    "Classification", [(c.upper(), c) for c in ("public", "internal", "confidential", "restricted")]
)


class OwnerType(graphene.ObjectType):
    principal = graphene.String(required=True, description="user:<name> or group:<name>")
    role = graphene.String(required=True, description="technical, business or steward")


class CacheConfigType(graphene.ObjectType):
    ttl_seconds = graphene.Int(required=True)
    strategy = graphene.String(required=True)


class EntityVersionType(graphene.ObjectType):
    version = graphene.Int(required=True)
    change = graphene.String(required=True)
    changed_fields = graphene.List(graphene.NonNull(graphene.String), required=True)
    actor = graphene.String(required=True)
    changed_at = graphene.DateTime(required=True)
    state = GenericScalar(required=True)


class RelationshipType(graphene.ObjectType):
    predicate = graphene.String(required=True)
    bidirectional = graphene.Boolean(required=True)
    confidence = graphene.Float(required=True)
    provenance = graphene.String(required=True)
    metadata = GenericScalar(required=True)
    direction = graphene.String(
        required=True, description="out, or in for a bidirectional one seen from its target"
    )
    source = graphene.Field(lambda: EntityType)
    target = graphene.Field(lambda: EntityType, description="The entity at the other end.")

    @staticmethod
    def resolve_source(root, info):
        return loader_for(info, EntityByIdLoader).load(root["source_id"])

    @staticmethod
    def resolve_target(root, info):
        return loader_for(info, EntityByIdLoader).load(root["other_id"])


def relationship_view(rel, from_id: int) -> dict:
    """A relationship as seen from one of its entities (a bidirectional one can be seen from its target)."""
    outgoing = rel.source_id == from_id
    return {
        "predicate": rel.predicate,
        "bidirectional": rel.bidirectional,
        "confidence": rel.confidence,
        "provenance": rel.provenance,
        "metadata": rel.metadata,
        "direction": "out" if outgoing else "in",
        "source_id": rel.source_id,
        "other_id": rel.target_id if outgoing else rel.source_id,
    }


@key("urn")
class EntityType(graphene.ObjectType):
    """A catalog entity; an Apollo Federation entity by its URN (other subgraphs may extend it)."""

    class Meta:
        name = "Entity"

    def __resolve_reference(self, info):
        """``_entities``: the entity a representation names (``{__typename: "Entity", urn}``) as this caller
        may see it, or null."""
        from dictamesh.errors import NotFound

        from .. import governed, selectors

        try:
            state = governed.entity(info.context, selectors.entity_get(urn=self.urn))
        except NotFound:
            return None
        return {**state, "__typename": "Entity"}  # the union _Entity resolves by __typename

    urn = graphene.String(required=True)
    type = graphene.String(required=True)
    name = graphene.String(required=True)
    display_name = graphene.String(required=True)
    description = graphene.String(required=True)
    domain = graphene.String(required=True)
    source = graphene.String(required=True)
    source_key = graphene.String(required=True)
    version = graphene.Int(required=True)
    schema_subject = graphene.String(required=True)
    owners = graphene.List(graphene.NonNull(OwnerType), required=True)
    tags = graphene.List(graphene.NonNull(graphene.String), required=True)
    classification = graphene.String(required=True)
    properties = GenericScalar(required=True)
    cache = graphene.Field(CacheConfigType, required=True)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    deprecated = graphene.Boolean(required=True)
    deprecated_at = graphene.DateTime()
    deprecation_note = graphene.String(required=True)
    last_synced_at = graphene.DateTime()
    relationships = graphene.List(
        graphene.NonNull(RelationshipType),
        required=True,
        predicate=graphene.String(),
        description="Outgoing relationships, and bidirectional ones from either end.",
    )
    history = graphene.List(graphene.NonNull(EntityVersionType), required=True)
    # schema (the data contract), live, data and record are added by the schemas and adapters apps in the
    # composition root (config/schema.py): the catalog, the lowest layer, imports neither (ADR 0027)

    @staticmethod
    def resolve_relationships(root, info, predicate=None):
        entity_id = root["id"]

        def pick(rels):
            return [relationship_view(rel, entity_id) for rel in rels if predicate in (None, rel.predicate)]

        return then(loader_for(info, RelationshipsLoader).load(entity_id), pick)

    @staticmethod
    def resolve_history(root, info):
        return loader_for(info, HistoryLoader).load(root["urn"])


class PageInfoType(graphene.ObjectType):
    has_next_page = graphene.Boolean(required=True)
    end_cursor = graphene.String()


class EntityEdge(graphene.ObjectType):
    cursor = graphene.String(required=True)
    node = graphene.Field(EntityType, required=True)


class EntityConnection(graphene.ObjectType):
    nodes = graphene.List(graphene.NonNull(EntityType), required=True)
    page_info = graphene.Field(PageInfoType, required=True)


class FacetValueType(graphene.ObjectType):
    value = graphene.String(required=True)
    count = graphene.Int(required=True)


class FacetsType(graphene.ObjectType):
    domain = graphene.List(graphene.NonNull(FacetValueType), required=True)
    source = graphene.List(graphene.NonNull(FacetValueType), required=True)
    type = graphene.List(graphene.NonNull(FacetValueType), required=True)
    tag = graphene.List(graphene.NonNull(FacetValueType), required=True)
    owner = graphene.List(graphene.NonNull(FacetValueType), required=True)
    classification = graphene.List(graphene.NonNull(FacetValueType), required=True)


class SearchHitType(graphene.ObjectType):
    score = graphene.Float(required=True)
    entity = graphene.Field(EntityType, required=True)


class SearchResultType(graphene.ObjectType):
    mode = graphene.String(required=True)
    total = graphene.Int(description="Exact for full-text; the candidate pool for semantic and hybrid.")
    exact = graphene.Boolean(
        required=True,
        description="False when more entities match than are counted: total and facets are lower bounds.",
    )
    corrected = graphene.String(description="The query searched instead, when the typed one matched nothing.")
    hits = graphene.List(graphene.NonNull(SearchHitType), required=True)
    facets = graphene.Field(FacetsType)
    page_info = graphene.Field(PageInfoType, required=True)


class GraphNodeType(graphene.ObjectType):
    urn = graphene.String(required=True)
    name = graphene.String(required=True)
    type = graphene.String(required=True)
    depth = graphene.Int()


class GraphEdgeType(graphene.ObjectType):
    source = graphene.String(required=True)
    target = graphene.String(required=True)
    predicate = graphene.String(required=True)
    bidirectional = graphene.Boolean(required=True)
    confidence = graphene.Float(required=True)
    provenance = graphene.String(required=True)


class SubgraphType(graphene.ObjectType):
    root = graphene.String(required=True)
    nodes = graphene.List(graphene.NonNull(GraphNodeType), required=True)
    edges = graphene.List(graphene.NonNull(GraphEdgeType), required=True)
    truncated = graphene.Boolean(required=True)


class PathType(graphene.ObjectType):
    length = graphene.Int(required=True)
    nodes = graphene.List(graphene.NonNull(GraphNodeType), required=True)
    edges = graphene.List(graphene.NonNull(GraphEdgeType), required=True)


class RetrievedChunkType(graphene.ObjectType):
    text = graphene.String(required=True)
    document = graphene.String(required=True)
    score = graphene.Float(required=True)
    entity_urn = graphene.String(required=True)

    @staticmethod
    def resolve_entity_urn(root, info):
        return root["entity"]["urn"]
