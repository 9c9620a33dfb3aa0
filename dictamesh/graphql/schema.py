"""Combine each app's Query and Mutation classes into one graphene schema."""

from __future__ import annotations

import graphene


def build_schema(*, queries: list[type], mutations: list[type]) -> graphene.Schema:
    query = type("Query", (*queries, graphene.ObjectType), {"__doc__": "DictaMesh queries."})
    mutation = (
        type("Mutation", (*mutations, graphene.ObjectType), {"__doc__": "DictaMesh mutations."})
        if mutations
        else None
    )
    return graphene.Schema(query=query, mutation=mutation, auto_camelcase=True)
