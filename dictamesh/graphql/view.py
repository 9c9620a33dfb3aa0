"""The /graphql endpoint: DataLoader execution, depth and alias limits, auth, errors as {message, extensions.code}."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView, HttpError
from graphql import GraphQLError, OperationType, get_operation_ast, parse, specified_rules
from graphql.error import GraphQLSyntaxError

from dictamesh.errors import DictaMeshError

from .execution import DataLoaderExecutionContext
from .limits import max_aliases_rule, max_depth_rule

logger = logging.getLogger("dictamesh.graphql")


class _Unauthenticated(Exception):  # noqa: N818 - internal control flow, turned into a 401 by dispatch
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _response_401(message: str) -> JsonResponse:
    response = JsonResponse(
        {"errors": [{"message": message, "extensions": {"code": "unauthenticated"}}]}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="dictamesh"'
    return response


def format_graphql_error(error: Exception) -> dict:
    if isinstance(error, GraphQLError):
        formatted = dict(error.formatted)
        original = error.original_error
        if isinstance(original, DictaMeshError):
            formatted["message"] = original.message
            extensions = {"code": original.code}
            if original.fields:
                extensions["fields"] = original.fields
            formatted["extensions"] = extensions
        elif original is not None and not isinstance(original, GraphQLError):
            logger.error("unhandled error resolving %s", error.path, exc_info=original)
            try:
                import sentry_sdk

                sentry_sdk.capture_exception(original)
            except ImportError:  # pragma: no cover
                pass
            formatted["message"] = "An unexpected error occurred; it has been logged."
            formatted["extensions"] = {"code": "internal_error"}
        else:
            code = (
                "graphql_parse_failed"
                if isinstance(error, GraphQLSyntaxError)
                else "graphql_validation_failed"
            )
            formatted.setdefault("extensions", {}).setdefault("code", code)
        return formatted
    if isinstance(error, HttpError):
        return {"message": str(error.message or error), "extensions": {"code": "bad_request"}}
    return {"message": str(error), "extensions": {"code": "internal_error"}}


@method_decorator(csrf_exempt, name="dispatch")
class DictaMeshGraphQLView(GraphQLView):
    execution_context_class = DataLoaderExecutionContext

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validation_rules",
            (
                # graphene passes these to graphql-core's validate() *instead of* the standard rules
                *specified_rules,
                max_depth_rule(settings.DICTAMESH_GRAPHQL_MAX_DEPTH),
                max_aliases_rule(settings.DICTAMESH_GRAPHQL_MAX_ALIASES),
            ),
        )
        super().__init__(**kwargs)

    format_error = staticmethod(format_graphql_error)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Unauthenticated as exc:
            return _response_401(exc.message)

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        if query:
            self._authorize(request, query, operation_name)
        return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)

    def _authorize(self, request, query: str, operation_name: str | None) -> None:
        try:
            operation = get_operation_ast(parse(query), operation_name)
        except GraphQLError:
            return  # the parse error is reported by the normal path
        is_write = operation is not None and operation.operation != OperationType.QUERY
        has_token = getattr(request, "auth_token", None) is not None
        if is_write and not has_token:
            raise _Unauthenticated(
                "Mutations need a DictaMesh API token: send `Authorization: Bearer <token>`."
            )
        if not is_write and not has_token:
            user = getattr(request, "user", None)
            if not settings.DICTAMESH_ALLOW_ANONYMOUS_READ and not (user and user.is_authenticated):
                raise _Unauthenticated("Authentication is required: send a DictaMesh API token.")
