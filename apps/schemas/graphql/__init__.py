"""GraphQL of the schema registry: subjects with versions, compatibility checks, registration."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from dictamesh.contracts import parse
from dictamesh.events.context import user_principal
from dictamesh.graphql.context import require_user

from .. import errors, governed, selectors, services
from ..contracts import SchemaIn


class SchemaVersionType(graphene.ObjectType):
    subject = graphene.String(required=True)
    version = graphene.Int(required=True)
    id = graphene.Int(required=True, description="The global schema id Kafka messages carry.")
    schema_type = graphene.String(required=True)
    deleted = graphene.Boolean(required=True)
    created_at = graphene.DateTime(required=True)
    actor = graphene.String(required=True)
    schema = graphene.String(required=True)
    references = GenericScalar(required=True)
    migrations = GenericScalar(required=True, description="[{name, direction, language, body, ...}]")


class SchemaSubjectType(graphene.ObjectType):
    subject = graphene.String(required=True)
    compatibility = graphene.String(required=True)
    mode = graphene.String(required=True)
    entities = graphene.List(
        graphene.NonNull(graphene.String), required=True, description="Linked entity URNs"
    )
    versions = graphene.List(graphene.NonNull(SchemaVersionType), required=True)

    @staticmethod
    def resolve_versions(root, info):
        return [selectors.version_dict(row) for row in selectors.versions_with_schemas(root["subject"])]


class CompatibilityType(graphene.ObjectType):
    compatible = graphene.Boolean(required=True)
    compatibility = graphene.String(required=True)
    messages = graphene.List(graphene.NonNull(graphene.String), required=True)


class SchemaInput(graphene.InputObjectType):
    schema = graphene.String(required=True)
    schema_type = graphene.String(default_value="AVRO")
    references = GenericScalar(description="[{name, subject, version}]")


def _input(value) -> services.SchemaInput:
    sent = {k: value.get(k) for k in ("schema", "schema_type", "references") if value.get(k) is not None}
    return parse(SchemaIn, sent).as_input()


class SchemasQuery:
    schema_subjects = graphene.List(
        graphene.NonNull(graphene.String), required=True, prefix=graphene.String(default_value="")
    )
    schema_subject = graphene.Field(SchemaSubjectType, name=graphene.String(required=True))
    check_schema_compatibility = graphene.Field(
        CompatibilityType,
        required=True,
        subject=graphene.String(required=True),
        input=SchemaInput(required=True),
        description="Would this schema be accepted under the subject's compatibility level?",
    )

    @staticmethod
    def resolve_schema_subjects(root, info, prefix=""):
        found = selectors.subjects_list(prefix=prefix)
        shown = governed.readable(info.context, found)
        return [s for s in found if s in shown]

    @staticmethod
    def resolve_schema_subject(root, info, name):
        try:
            governed.require(info.context, "read", name)
        except errors.SubjectNotFound:
            return None
        return governed.subject_detail(info.context, selectors.subject_detail(name))

    @staticmethod
    def resolve_check_schema_compatibility(root, info, subject, input):  # noqa: A002 - GraphQL argument name
        governed.require(info.context, "read", subject)
        messages = services.compatibility_check(subject=subject, version=None, data=_input(input))
        return {
            "compatible": not messages,
            "compatibility": selectors.effective_compatibility(subject),
            "messages": messages,
        }


class RegisterSchema(graphene.Mutation):
    class Arguments:
        subject = graphene.String(required=True)
        input = SchemaInput(required=True)

    Output = SchemaVersionType

    @staticmethod
    def mutate(root, info, subject, input):  # noqa: A002 - GraphQL argument name
        user = require_user(info)
        governed.require(info.context, "write", subject)
        result = services.register(subject=subject, data=_input(input), actor=user_principal(user))
        return selectors.version_dict(selectors.version_get(subject, result.version))


class SchemasMutation:
    register_schema = RegisterSchema.Field()


__all__ = ["SchemasMutation", "SchemasQuery"]


def _resolve_entity_schema(root, info):
    from dictamesh import decision_point

    from ..public import subject_summary

    subject = root["schema_subject"]
    if (
        not subject
        or not decision_point.schema_decide(decision_point.access(info.context), "read", subject).allowed
    ):
        return None
    return subject_summary(subject=subject)


def entity_fields() -> dict[str, graphene.Field]:
    """The field the registry adds to the catalog's ``Entity`` (in the composition root, ADR 0027)."""
    return {
        "schema": graphene.Field(
            GenericScalar,
            resolver=_resolve_entity_schema,
            description="The data contract: the schema registry subject's live versions and latest schema, or "
            "null.",
        )
    }
