"""GraphQL of governance: policies (read and edit), explain, field classifications."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from dictamesh.contracts import parse
from dictamesh.graphql.context import require_user

from .. import classification as classifications
from .. import explain, selectors, services
from ..access import Access
from ..contracts import ACTIONS, FieldClassificationIn, PolicyIn
from ..explain import GOVERNANCE


def _access(info, action: str) -> Access:
    access = Access.of(info.context)
    access.require(action, GOVERNANCE)
    return access


class PolicyType(graphene.ObjectType):
    class Meta:
        name = "AccessPolicy"

    name = graphene.String(required=True)
    description = graphene.String(required=True)
    effect = graphene.String(required=True, description="allow or deny")
    actors = graphene.List(graphene.NonNull(graphene.String), required=True)
    actions = graphene.List(graphene.NonNull(graphene.String), required=True)
    resources = graphene.List(graphene.NonNull(graphene.String), required=True)
    condition = graphene.String(required=True)
    mask = graphene.String()
    enabled = graphene.Boolean(required=True)
    version = graphene.Int(required=True)
    updated_at = graphene.DateTime(required=True)
    updated_by = graphene.String(required=True)


class FieldClassificationType(graphene.ObjectType):
    id = graphene.ID(required=True)
    urn = graphene.String(required=True)
    path = graphene.String(required=True)
    classification = graphene.String(required=True)
    pii_category = graphene.String()
    status = graphene.String(required=True)
    confidence = graphene.Float(required=True)
    detector = graphene.String(required=True)
    evidence = graphene.String(required=True)
    hops = graphene.Int(required=True)


class PolicyInput(graphene.InputObjectType):
    name = graphene.String()
    description = graphene.String()
    effect = graphene.String()
    actors = graphene.List(graphene.NonNull(graphene.String))
    actions = graphene.List(graphene.NonNull(graphene.String))
    resources = graphene.List(graphene.NonNull(graphene.String))
    condition = graphene.String()
    mask = graphene.String()
    enabled = graphene.Boolean()


def _plain(value) -> dict:
    return {k: (list(v) if isinstance(v, list | tuple) else v) for k, v in dict(value).items()}


class GovernanceQuery:
    access_policies = graphene.List(graphene.NonNull(PolicyType), required=True, description="Stewards.")
    access_policy = graphene.Field(PolicyType, name=graphene.String(required=True))
    explain_access = graphene.Field(
        GenericScalar,
        required=True,
        action=graphene.String(required=True, description=", ".join(ACTIONS)),
        resource=graphene.String(
            required=True, description="<urn>, <urn>#<field>, domain:<name>, schema:<subject>"
        ),
        description="Whether you may do an action to a resource, and which policies decided.",
    )
    field_classifications = graphene.List(
        graphene.NonNull(FieldClassificationType),
        required=True,
        urn=graphene.String(),
        status=graphene.String(),
        first=graphene.Int(default_value=200),
    )

    @staticmethod
    def resolve_access_policies(root, info):
        _access(info, "read")
        return [services.policy_state(p) for p in selectors.policy_list()]

    @staticmethod
    def resolve_access_policy(root, info, name):
        _access(info, "read")
        return services.policy_state(selectors.policy_get(name=name))

    @staticmethod
    def resolve_explain_access(root, info, action, resource):
        return explain.explain_for(Access.of(info.context), action=action, resource=resource)

    @staticmethod
    def resolve_field_classifications(root, info, first, urn=None, status=None):
        _access(info, "read")
        return classifications.field_list(urn=urn, status=status, limit=first)


class CreateAccessPolicy(graphene.Mutation):
    class Arguments:
        input = PolicyInput(required=True)

    Output = PolicyType

    @staticmethod
    def mutate(root, info, input):  # noqa: A002 - GraphQL argument name
        require_user(info)
        _access(info, "manage")
        return services.policy_state(services.policy_create(policy=parse(PolicyIn, _plain(input))))


class UpdateAccessPolicy(graphene.Mutation):
    class Arguments:
        name = graphene.String(required=True)
        changes = PolicyInput(required=True)

    Output = PolicyType

    @staticmethod
    def mutate(root, info, name, changes):
        require_user(info)
        _access(info, "manage")
        return services.policy_state(
            services.policy_update(name=name, changes=parse(PolicyIn, _plain(changes), partial=True))
        )


class DeleteAccessPolicy(graphene.Mutation):
    class Arguments:
        name = graphene.String(required=True)

    deleted = graphene.Boolean(required=True)

    @staticmethod
    def mutate(root, info, name):
        require_user(info)
        _access(info, "manage")
        services.policy_delete(name=name)
        return DeleteAccessPolicy(deleted=True)


class ClassifyField(graphene.Mutation):
    class Arguments:
        urn = graphene.String(required=True)
        path = graphene.String(required=True)
        classification = graphene.String(default_value="confidential")
        pii_category = graphene.String()

    Output = FieldClassificationType

    @staticmethod
    def mutate(root, info, urn, path, classification, pii_category=None):
        require_user(info)
        _access(info, "manage")
        data = {"urn": urn, "path": path, "classification": classification}
        if pii_category:
            data["pii_category"] = pii_category
        return classifications.field_classify(field=parse(FieldClassificationIn, data))


class DecideFieldClassification(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)
        confirm = graphene.Boolean(required=True)

    Output = FieldClassificationType

    @staticmethod
    def mutate(root, info, id, confirm):  # noqa: A002 - GraphQL argument name
        require_user(info)
        _access(info, "manage")
        if not str(id).isdigit():
            from dictamesh.errors import NotFound

            raise NotFound(f"No field classification {str(id)[:40]!r}.")
        return classifications.field_decide(pk=int(id), confirm=confirm)


class GovernanceMutation:
    create_access_policy = CreateAccessPolicy.Field()
    update_access_policy = UpdateAccessPolicy.Field()
    delete_access_policy = DeleteAccessPolicy.Field()
    classify_field = ClassifyField.Field()
    decide_field_classification = DecideFieldClassification.Field()
