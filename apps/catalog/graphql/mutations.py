"""Catalog mutations: thin wrappers over the services (writes need an authenticated caller)."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from dictamesh.graphql.context import require_user

from .. import governed, relationships, selectors, services
from ..inputs import entity_input


class OwnerInput(graphene.InputObjectType):
    principal = graphene.String(required=True)
    role = graphene.String(default_value="technical")


class CacheInput(graphene.InputObjectType):
    ttl_seconds = graphene.Int()
    strategy = graphene.String()


class EntityFields:
    name = graphene.String()
    display_name = graphene.String()
    description = graphene.String()
    domain = graphene.String()
    tags = graphene.List(graphene.NonNull(graphene.String))
    classification = graphene.String()
    properties = GenericScalar()
    owners = graphene.List(graphene.NonNull(OwnerInput))
    cache = CacheInput()
    schema_subject = graphene.String()


class EntityInput(EntityFields, graphene.InputObjectType):
    urn = graphene.String(description="Or source, type and source_key.")
    source = graphene.String()
    type = graphene.String()
    source_key = graphene.String()


class EntityChangesInput(EntityFields, graphene.InputObjectType):
    owners_add = graphene.List(graphene.NonNull(OwnerInput), description="owners added; the others kept")
    owners_remove = graphene.List(
        graphene.NonNull(OwnerInput), description="owners removed (by principal); the others kept"
    )


def _plain(value):
    """Graphene input objects → plain dicts and lists, unset fields dropped."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class EntityPayload(graphene.ObjectType):
    status = graphene.String(required=True)
    entity = graphene.Field("apps.catalog.graphql.types.EntityType", required=True)


class RegisterEntity(graphene.Mutation):
    class Arguments:
        input = EntityInput(required=True)

    Output = EntityPayload

    @staticmethod
    def mutate(root, info, input):  # noqa: A002 - GraphQL argument name
        require_user(info)
        request = info.context
        entity, status = services.entity_register(
            entity=entity_input(_plain(input)), check=governed.write_check(request)
        )
        state = governed.entity(request, selectors.entity_get(urn=entity.urn, use_cache=False))
        return EntityPayload(status=status, entity=state)


class UpdateEntity(graphene.Mutation):
    class Arguments:
        urn = graphene.String(required=True)
        changes = EntityChangesInput(required=True)

    Output = EntityPayload

    @staticmethod
    def mutate(root, info, urn, changes):
        require_user(info)
        request = info.context
        _, status = services.entity_update(
            urn=urn, changes=entity_input(_plain(changes)), check=governed.write_check(request)
        )
        return EntityPayload(
            status=status, entity=governed.entity(request, selectors.entity_get(urn=urn, use_cache=False))
        )


class DeprecateEntity(graphene.Mutation):
    class Arguments:
        urn = graphene.String(required=True)
        note = graphene.String(default_value="")
        deprecated = graphene.Boolean(default_value=True)

    Output = EntityPayload

    @staticmethod
    def mutate(root, info, urn, note, deprecated):
        require_user(info)
        governed.require(info.context, "write", selectors.entity_get(urn=urn))
        services.entity_deprecate(urn=urn, note=note, deprecated=deprecated)
        state = governed.entity(info.context, selectors.entity_get(urn=urn, use_cache=False))
        return EntityPayload(status="updated", entity=state)


class DeleteEntity(graphene.Mutation):
    class Arguments:
        urn = graphene.String(required=True)

    deleted = graphene.Boolean(required=True)
    version = graphene.Int(required=True)

    @staticmethod
    def mutate(root, info, urn):
        require_user(info)
        governed.require(info.context, "delete", selectors.entity_get(urn=urn))
        entity = services.entity_delete(urn=urn)
        return DeleteEntity(deleted=True, version=entity.version)


class UpsertResultType(graphene.ObjectType):
    index = graphene.Int(required=True)
    urn = graphene.String()
    status = graphene.String(required=True)
    version = graphene.Int()
    error = GenericScalar()


class UpsertEntities(graphene.Mutation):
    class Arguments:
        entities = graphene.List(graphene.NonNull(EntityInput), required=True)

    results = graphene.List(graphene.NonNull(UpsertResultType), required=True)

    @staticmethod
    def mutate(root, info, entities):
        from django.conf import settings

        from dictamesh.errors import ValidationError

        require_user(info)
        if len(entities) > settings.DICTAMESH_CATALOG_BULK_MAX:
            raise ValidationError("Too many entities in one call.", fields={"entities": "too many"})
        results = services.entities_upsert(
            items=[_plain(e) for e in entities], check=governed.write_check(info.context)
        )
        return UpsertEntities(results=[r.as_dict() for r in results])


class RelationshipPayload(graphene.ObjectType):
    status = graphene.String(required=True)
    source = graphene.String(required=True)
    target = graphene.String(required=True)
    predicate = graphene.String(required=True)


class AddRelationship(graphene.Mutation):
    class Arguments:
        source = graphene.String(required=True)
        target = graphene.String(required=True)
        predicate = graphene.String(required=True)
        bidirectional = graphene.Boolean(default_value=False)
        confidence = graphene.Float(default_value=1.0)
        provenance = graphene.String(default_value="manual")
        metadata = GenericScalar()

    Output = RelationshipPayload

    @staticmethod
    def mutate(root, info, source, target, predicate, bidirectional, confidence, provenance, metadata=None):
        require_user(info)
        governed.require_urn(info.context, "write", source)
        governed.require_urn(info.context, "read", target)
        _, status = relationships.relationship_add(
            source=source, target=target, predicate=predicate, bidirectional=bidirectional,
            confidence=confidence, provenance=provenance, metadata=metadata,
        )  # fmt: skip
        return RelationshipPayload(status=status, source=source, target=target, predicate=predicate)


class RemoveRelationship(graphene.Mutation):
    class Arguments:
        source = graphene.String(required=True)
        target = graphene.String(required=True)
        predicate = graphene.String(required=True)

    Output = RelationshipPayload

    @staticmethod
    def mutate(root, info, source, target, predicate):
        require_user(info)
        governed.require_urn(info.context, "write", source)
        governed.require_urn(info.context, "read", target)
        relationships.relationship_remove(source=source, target=target, predicate=predicate)
        return RelationshipPayload(status="removed", source=source, target=target, predicate=predicate)


class CreateDomain(graphene.Mutation):
    class Arguments:
        name = graphene.String(required=True)
        display_name = graphene.String(default_value="")
        description = graphene.String(default_value="")
        owner = graphene.String(default_value="")

    name = graphene.String(required=True)

    @staticmethod
    def mutate(root, info, **kwargs):
        require_user(info)
        governed.require_structure(info.context, domain=kwargs["name"])
        return CreateDomain(name=services.domain_create(**kwargs).name)


class CreateSource(graphene.Mutation):
    class Arguments:
        name = graphene.String(required=True)
        kind = graphene.String(required=True)
        display_name = graphene.String(default_value="")
        description = graphene.String(default_value="")
        connection_ref = graphene.String(default_value="")
        owner = graphene.String(default_value="")

    name = graphene.String(required=True)

    @staticmethod
    def mutate(root, info, **kwargs):
        require_user(info)
        governed.require_structure(info.context, source=kwargs["name"])
        return CreateSource(name=services.source_create(**kwargs).name)


class CatalogMutation:
    create_domain = CreateDomain.Field()
    create_source = CreateSource.Field()
    register_entity = RegisterEntity.Field()
    update_entity = UpdateEntity.Field()
    deprecate_entity = DeprecateEntity.Field()
    delete_entity = DeleteEntity.Field()
    upsert_entities = UpsertEntities.Field()
    add_relationship = AddRelationship.Field()
    remove_relationship = RemoveRelationship.Field()
