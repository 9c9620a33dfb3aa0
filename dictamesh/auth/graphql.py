"""GraphQL for identities and API tokens: ``viewer``, ``apiTokens``, ``createApiToken``, ``revokeApiToken``."""

from __future__ import annotations

import graphene

from dictamesh.errors import ValidationError
from dictamesh.graphql.context import require_user

from . import selectors, services


class ApiTokenType(graphene.ObjectType):
    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    prefix = graphene.String(required=True)
    state = graphene.String(required=True, description="active, expired or revoked")
    created_at = graphene.DateTime(required=True)
    expires_at = graphene.DateTime()
    last_used_at = graphene.DateTime()
    revoked_at = graphene.DateTime()

    @staticmethod
    def resolve_id(token, info):
        return token.pk

    @staticmethod
    def resolve_state(token, info):
        return token.state_at()


class ViewerType(graphene.ObjectType):
    authenticated = graphene.Boolean(required=True)
    username = graphene.String()
    is_superuser = graphene.Boolean(required=True)


class AuthQuery:
    viewer = graphene.Field(ViewerType, required=True, description="Who this request is authenticated as.")
    api_tokens = graphene.List(graphene.NonNull(ApiTokenType), required=True, description="Your API tokens.")

    @staticmethod
    def resolve_viewer(root, info):
        user = getattr(info.context, "user", None)
        authenticated = bool(user and user.is_authenticated)
        return ViewerType(
            authenticated=authenticated,
            username=user.get_username() if authenticated else None,
            is_superuser=bool(authenticated and user.is_superuser),
        )

    @staticmethod
    def resolve_api_tokens(root, info):
        return selectors.api_token_list(user=require_user(info))


class CreateApiToken(graphene.Mutation):
    class Arguments:
        name = graphene.String(required=True)
        expires_days = graphene.Int()

    token = graphene.Field(ApiTokenType, required=True)
    secret = graphene.String(required=True, description="The clear token: shown this once.")

    @staticmethod
    def mutate(root, info, name, expires_days=None):
        issued = services.api_token_create(user=require_user(info), name=name, expires_days=expires_days)
        return CreateApiToken(token=issued.token, secret=issued.clear)


class RevokeApiToken(graphene.Mutation):
    class Arguments:
        id = graphene.ID(required=True)

    token = graphene.Field(ApiTokenType, required=True)

    @staticmethod
    def mutate(root, info, id):  # noqa: A002 - GraphQL argument name
        try:
            token_id = int(id)
        except ValueError:
            raise ValidationError("id must be a token id.", fields={"id": "integer"}) from None
        return RevokeApiToken(token=services.api_token_revoke(token_id=token_id, actor=require_user(info)))


class AuthMutation:
    create_api_token = CreateApiToken.Field()
    revoke_api_token = RevokeApiToken.Field()
