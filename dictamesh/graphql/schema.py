"""Combine each app's Query and Mutation classes into one graphene schema, an Apollo Federation v2 subgraph.

graphene-federation adds ``_service { sdl }`` and ``_entities(representations:)`` for the types marked
``@key`` (catalog entities, by URN), so an Apollo Router composes DictaMesh with other subgraphs.
"""

from __future__ import annotations

import graphene
from graphene_federation import FederationVersion
from graphene_federation import build_schema as build_federated_schema

# the oldest version with what DictaMesh uses (@key): composes with every Federation 2 router since 2023
FEDERATION = FederationVersion.VERSION_2_3


def build_schema(*, queries: list[type], mutations: list[type]) -> graphene.Schema:
    query = type("Query", (*queries, graphene.ObjectType), {"__doc__": "DictaMesh queries."})
    mutation = (
        type("Mutation", (*mutations, graphene.ObjectType), {"__doc__": "DictaMesh mutations."})
        if mutations
        else None
    )
    return build_federated_schema(
        query=query, mutation=mutation, auto_camelcase=True, federation_version=FEDERATION
    )


def add_fields(object_type: type[graphene.ObjectType], fields: dict[str, graphene.Field]) -> None:
    """Add fields a higher app contributes to a lower app's type (the catalog's ``Entity`` gets its data
    contract from the registry and its live record from adapters), from the composition root, before any
    schema is made with it. A name the type already has is an error, not a silent replacement."""
    for name, field in fields.items():
        if name in object_type._meta.fields:
            raise ValueError(f"{object_type._meta.name}.{name} exists already")
        object_type._meta.fields[name] = field
