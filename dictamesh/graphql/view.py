"""The /graphql endpoint: DataLoader execution, depth and alias limits, auth, errors as {message, extensions.code}."""

from __future__ import annotations

import functools
import logging
import threading

from cachetools import LRUCache
from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.constants import MUTATION_ERRORS_FLAG
from graphene_django.settings import graphene_settings
from graphene_django.views import HttpError
from graphene_django_graphiql_static.views import GraphiQLOfflineView
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    validate_schema,
)
from graphql.error import GraphQLSyntaxError

from dictamesh.errors import DictaMeshError, PermissionDenied, RateLimited, Unauthenticated, http_response

from .execution import DataLoaderExecutionContext
from .limits import max_aliases_rule, max_depth_rule, query_cost, representations

logger = logging.getLogger("dictamesh.graphql")


class _Unauthenticated(Exception):  # noqa: N818 - internal control flow, turned into a 401 by dispatch
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _rate_limited(request) -> JsonResponse | None:
    """429 with Retry-After past ``DICTAMESH_GRAPHQL_RATE_PER_MINUTE`` requests a minute, per API token (else
    per signed-in user, else per client address)."""
    import math

    from dictamesh import ratelimit

    per_minute = settings.DICTAMESH_GRAPHQL_RATE_PER_MINUTE
    if per_minute <= 0:
        return None
    token = getattr(request, "auth_token", None)
    user = getattr(request, "user", None)
    if token is not None:
        identity = f"token:{token.pk}"
    elif user is not None and user.is_authenticated:
        identity = f"user:{user.pk}"
    else:
        from dictamesh.auth.throttle import client_address

        identity = f"addr:{client_address(request.META) or ''}"
    wait = ratelimit.take("graphql", identity, per_minute=per_minute)
    if wait <= 0:
        return None
    seconds = max(1, math.ceil(wait))
    message = f"Rate limit: {per_minute} requests a minute; retry in {seconds} s."
    return http_response(RateLimited(message, retry_after=seconds), shape="graphql")


def _input_problem(error: BaseException):
    """What the request did to cause ``error`` (dictamesh.api.guard.exception_problem), if anything."""
    from dictamesh.api.guard import exception_problem

    return exception_problem(error)


def format_graphql_error(error: Exception) -> dict:
    if isinstance(error, GraphQLError):
        formatted = dict(error.formatted)
        original = error.original_error
        if isinstance(original, DictaMeshError):
            formatted.update(original.wire("graphql")[1]["errors"][0])
        elif original is not None and (problem := _input_problem(original)) is not None:
            formatted["message"] = problem.message
            formatted["extensions"] = {"code": problem.code}
        elif original is not None and not isinstance(original, GraphQLError):
            logger.error("unhandled error resolving %s", error.path, exc_info=original)
            import sentry_sdk

            sentry_sdk.capture_exception(original)
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


@functools.lru_cache(maxsize=8)
def _validation_rules(max_depth: int, max_aliases: int) -> tuple:
    """The rules a query must pass, made once per limits (Django makes a view for every request, and the
    checked documents are kept per rules). graphene passes them to graphql-core's validate() *instead of*
    the standard rules, so those are in."""
    return (*specified_rules, max_depth_rule(max_depth), max_aliases_rule(max_aliases))


_CHECKED: LRUCache = LRUCache(maxsize=512)
_CHECKED_LOCK = threading.Lock()
_CHECKED_MAX_QUERY = 20_000  # characters: longer queries are parsed and validated every time


def _checked(schema, query: str, rules: tuple) -> tuple:
    """(document, validation errors) of ``query`` against ``schema`` and ``rules``: a syntax error raises
    GraphQLError. Documents that pass are kept per schema and rules (an LRU; graphql-core never changes a
    document it executes), so a client's repeated query is parsed and validated once; errors are not kept."""
    key = (id(schema), rules, query)
    with _CHECKED_LOCK:
        found = _CHECKED.get(key)
    if found is not None and found[0] is schema:
        return found[1], ()
    document = parse(query)
    errors = tuple(validate(schema, document, rules, graphene_settings.MAX_VALIDATION_ERRORS))
    if not errors and len(query) <= _CHECKED_MAX_QUERY:
        with _CHECKED_LOCK:
            _CHECKED[key] = (schema, document)
    return document, errors


def _check_params(query, variables, operation_name) -> None:
    """A request's query, variables and operation name have GraphQL's types: a 400 naming the one that
    does not (a number for a query was a 500)."""
    from django.http import HttpResponseBadRequest

    problems = []
    if query is not None and not isinstance(query, str):
        problems.append("query must be a string")
    if variables is not None and not isinstance(variables, dict):
        problems.append("variables must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        problems.append("operationName must be a string")
    if problems:
        raise HttpError(HttpResponseBadRequest(), "; ".join(problems) + ".")


@method_decorator(csrf_exempt, name="dispatch")  # a session's mutations are checked for CSRF in _authorize
class DictaMeshGraphQLView(GraphiQLOfflineView):
    """GraphiQL from assets installed with DictaMesh (graphene-django-graphiql-static), never a CDN."""

    execution_context_class = DataLoaderExecutionContext
    # the schema of the moment (made again when what it is made from changes): config.schema.current_schema
    schema_provider = None

    def __init__(self, **kwargs):
        self.schema_provider = kwargs.pop("schema_provider", None)
        kwargs.setdefault(
            "validation_rules",
            _validation_rules(settings.DICTAMESH_GRAPHQL_MAX_DEPTH, settings.DICTAMESH_GRAPHQL_MAX_ALIASES),
        )
        super().__init__(**kwargs)

    format_error = staticmethod(format_graphql_error)

    def dispatch(self, request, *args, **kwargs):
        from . import persisted

        limited = _rate_limited(request)
        if limited is not None:
            return limited
        answer = persisted.resolve(request)
        if answer is not None:
            return answer
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Unauthenticated as exc:
            return http_response(Unauthenticated(exc.message), shape="graphql")
        except PermissionDenied as exc:  # a session's mutation without its CSRF token
            return http_response(exc, shape="graphql")

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        """graphene-django's, with each query's document parsed and validated once per schema
        (``_checked``): the cost of a query is then its execution (and its cost analysis, which depends on
        its variables)."""
        _check_params(query, variables, operation_name)
        if self.schema_provider is not None:
            self.schema = self.schema_provider()
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest("Must provide query string."))
        schema = self.schema.graphql_schema
        schema_errors = validate_schema(schema)
        if schema_errors:
            return ExecutionResult(data=None, errors=schema_errors)
        try:
            document, errors = _checked(schema, query, tuple(self.validation_rules))
        except GraphQLError as exc:
            return ExecutionResult(errors=[exc])
        operation = get_operation_ast(document, operation_name)
        self._authorize(request, document, operation_name)
        if (
            request.method.lower() == "get"
            and operation is not None
            and operation.operation != OperationType.QUERY
        ):
            if show_graphiql:
                return None
            raise HttpError(HttpResponseNotAllowed(
                ["POST"], f"Can only perform a {operation.operation.value} operation from a POST request."
            ))  # fmt: skip
        if errors:
            return ExecutionResult(data=None, errors=list(errors))
        too_costly = self._too_costly(document, variables, operation_name)
        if too_costly is not None:
            return too_costly
        options = {
            "root_value": self.get_root_value(request),
            "context_value": self.get_context(request),
            "variable_values": variables,
            "operation_name": operation_name,
            "middleware": self.get_middleware(request),
            "execution_context_class": self.execution_context_class,
        }
        try:
            if (
                operation is not None
                and operation.operation == OperationType.MUTATION
                and graphene_settings.ATOMIC_MUTATIONS
            ):
                with transaction.atomic():
                    result = execute(schema, document, **options)
                    if getattr(request, MUTATION_ERRORS_FLAG, False) is True:
                        transaction.set_rollback(True)
                return result
            return execute(schema, document, **options)
        except Exception as exc:  # noqa: BLE001 - as graphene-django: the error is the answer's
            return ExecutionResult(errors=[exc])

    def _too_costly(self, document, variables, operation_name: str | None):
        from graphql import ExecutionResult

        given = variables if isinstance(variables, dict) else {}
        count, most = (
            representations(document, operation_name, given),
            settings.DICTAMESH_GRAPHQL_MAX_REPRESENTATIONS,
        )
        if count > most:
            error = GraphQLError(
                f"The query hands _entities {count:,} representations; the limit is {most:,}. Split it.",
                extensions={"code": "too_many_representations", "count": count, "maximum": most},
            )
            return ExecutionResult(data=None, errors=[error])
        cost = query_cost(self.schema.graphql_schema, document, operation_name, given,
                          costs=settings.DICTAMESH_GRAPHQL_FIELD_COSTS,
                          default_list=settings.DICTAMESH_GRAPHQL_DEFAULT_LIST_SIZE)  # fmt: skip
        maximum = settings.DICTAMESH_GRAPHQL_MAX_COST
        if cost <= maximum:
            return None
        message = (f"The query would cost {cost:,} (fields times the items they ask for); the limit is "
                   f"{maximum:,}. Ask for fewer items (first, limit) or fewer fields.")  # fmt: skip
        error = GraphQLError(
            message, extensions={"code": "query_too_costly", "cost": cost, "maximum": maximum}
        )
        return ExecutionResult(data=None, errors=[error])

    @staticmethod
    def _session_may_write(request) -> bool:
        from dictamesh.auth.browser import session_write_allowed

        return session_write_allowed(request)  # PermissionDenied (a session without its CSRF token): 403

    def _authorize(self, request, document, operation_name: str | None) -> None:
        operation = get_operation_ast(document, operation_name)
        is_write = operation is not None and operation.operation != OperationType.QUERY
        has_token = getattr(request, "auth_token", None) is not None
        if is_write and not has_token and not self._session_may_write(request):
            raise _Unauthenticated(
                "Mutations need a DictaMesh API token (`Authorization: Bearer <token>`) or a signed-in "
                "session with its CSRF token."
            )
        if not is_write and not has_token:
            user = getattr(request, "user", None)
            if not settings.DICTAMESH_ALLOW_ANONYMOUS_READ and not (user and user.is_authenticated):
                raise _Unauthenticated("Authentication is required: send a DictaMesh API token.")
