"""Hostile input is answered 4xx before it reaches a view: text PostgreSQL cannot store (NUL characters,
lone UTF-16 surrogates), JSON nested deeper than DICTAMESH_API_MAX_JSON_DEPTH, bodies over
DICTAMESH_API_MAX_BODY_BYTES — in paths, query strings and JSON bodies, on every surface.

Checks cost next to nothing on ordinary input: a body is only walked when a cheap scan of its bytes finds
what could be a problem (an escaped NUL or surrogate, more brackets than the depth limit). Each surface
answers in its own error shape (``respond``): REST ``{code, message, fields}``, GraphQL ``{errors}``,
the schema registry ``{error_code, message}``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from django.conf import settings
from django.http import JsonResponse

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
EXEMPT = ("/healthz", "/readyz", "/metrics", "/static/")


@dataclass(frozen=True)
class Problem:
    status: int
    code: str
    message: str
    field: str

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["fields"] = {self.field: self.code}
        return body


def text_problem(text: str, field: str) -> Problem | None:
    """A NUL character or a lone surrogate in ``text`` (neither can be stored): the problem, else None."""
    if "\x00" in text:
        return Problem(400, "nul_character", f"{field} holds a NUL character.", field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(400, "invalid_text", f"{field} holds a lone surrogate: not valid Unicode text.", field)
    return None


def value_problem(value: Any, *, max_depth: int | None = None, where: str = "body") -> Problem | None:
    """The first problem of a parsed JSON value: too deep, or a string (or key) that cannot be stored."""
    limit = settings.DICTAMESH_API_MAX_JSON_DEPTH if max_depth is None else max_depth
    stack: list[tuple[Any, str, int]] = [(value, where, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if (found := text_problem(item, path)) is not None:
                return found
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            return Problem(400, "too_deep", f"{path} is nested deeper than {limit} levels.", path)
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if isinstance(key, str) and "\x00" not in key else path
                if isinstance(key, str) and (found := text_problem(key, f"{path} key")) is not None:
                    return found
                stack.append((child, name, depth + 1))
        else:
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return None


def suspicious(body: bytes, limit: int | None = None) -> bool:
    """Whether a JSON body may hold a problem: a cheap scan of its bytes (no parse)."""
    limit = settings.DICTAMESH_API_MAX_JSON_DEPTH if limit is None else limit
    return (
        b"\\u0000" in body
        or _SURROGATE_ESCAPE.search(body) is not None
        or body.count(b"[") + body.count(b"{") > limit
    )


def body_problem(body: bytes) -> Problem | None:
    """The problem of a JSON request body (not compressed), or None; invalid JSON is left to the view."""
    limit = settings.DICTAMESH_API_MAX_JSON_DEPTH
    if not body or not suspicious(body, limit):
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        if _SURROGATE_ESCAPE.search(body) is not None:  # orjson refuses them; find where they are
            import json

            try:
                return value_problem(json.loads(body)) or Problem(
                    400, "invalid_text", "The body holds a lone surrogate: not valid Unicode.", "body"
                )
            except (ValueError, RecursionError):
                return None  # not JSON after all: the view says so
        if body.count(b"[") + body.count(b"{") > limit:  # orjson stops at 1,024 levels
            return Problem(400, "too_deep", f"The body is nested deeper than {limit} levels.", "body")
        return None
    return value_problem(value)


def request_line_problem(path: str, query_string: str) -> Problem | None:
    """NUL characters (as typed or %-encoded) in a path or its query string."""
    if "\x00" in path or "%00" in path:
        return Problem(400, "nul_character", "The path holds a NUL character.", "path")
    if "%00" in query_string or "\x00" in query_string:
        for part in query_string.split("&"):
            name, _, value = part.partition("=")
            if b"\x00" in unquote_to_bytes(value) or b"\x00" in unquote_to_bytes(name):
                field = unquote_to_bytes(name).replace(b"\x00", b"").decode("utf-8", "replace") or "query"
                return Problem(
                    400, "nul_character", f"Query parameter {field!r} holds a NUL character.", field
                )
    return None


def surface(path: str) -> str:
    """Which error shape a path answers in: graphql, registry or rest."""
    if path.rstrip("/") == settings.DICTAMESH_GRAPHQL_PATH:
        return "graphql"
    if path.startswith("/" + settings.DICTAMESH_SCHEMA_REGISTRY_PATH.strip("/") + "/"):
        return "registry"
    return "rest"


def respond(path: str, problem: Problem) -> JsonResponse:
    kind = surface(path)
    if problem.status >= 500:
        if kind == "registry":
            return JsonResponse({"error_code": 50001, "message": problem.message}, status=problem.status)
        if kind == "rest":
            return JsonResponse({"code": problem.code, "message": problem.message}, status=problem.status)
    if kind == "graphql":
        body: dict = {"errors": [{"message": problem.message,
                                  "extensions": {"code": problem.code, "field": problem.field}}]}  # fmt: skip
    elif kind == "registry":
        body = {"error_code": 42201 if problem.status == 400 else problem.status, "message": problem.message}
        return JsonResponse(body, status=422 if problem.status == 400 else problem.status)
    else:
        body = problem.as_dict()
    return JsonResponse(body, status=problem.status)


def too_large(limit: int, size: int | None = None) -> Problem:
    said = f"{size:,} bytes" if size is not None else "over the limit"
    return Problem(413, "payload_too_large", f"The body is {said}; at most {limit:,} bytes.", "body")


def unexpected_error(method: str, path: str, exc: Exception) -> dict:
    """An unhandled error: logged, reported to Sentry; the body of the 500 every API answers with."""
    logging.getLogger("dictamesh.api").exception("unhandled error in %s %s", method, path, exc_info=exc)
    import sentry_sdk

    sentry_sdk.capture_exception(exc)
    return {"code": "internal_error", "message": "An unexpected error occurred; it has been logged."}


def exception_problem(exc: BaseException) -> Problem | None:
    """What a client did wrong, when an exception escaped a view because of its input: a body over the
    limit, a value PostgreSQL cannot store or compare (DataError), nesting that ran out of stack, a number
    out of range. None for the rest (a 500: a bug, logged)."""
    from django.core.exceptions import RequestDataTooBig
    from django.db import DataError, InterfaceError, OperationalError

    if isinstance(exc, RequestDataTooBig):
        return too_large(settings.DICTAMESH_API_MAX_BODY_BYTES)
    if _canceled(exc):  # statement_timeout (DICTAMESH_DB_STATEMENT_TIMEOUT_MS): the request ran too long
        return Problem(503, "query_timeout", "The request took too long and was stopped; narrow it.", "")
    if isinstance(exc, OperationalError | InterfaceError):  # PostgreSQL away, restarting, out of connections
        return Problem(503, "database_unavailable", "The database is unavailable; try again shortly.", "")
    if isinstance(exc, DataError):
        return Problem(400, "invalid_value", "A value is out of range or not valid text for storage.", "body")
    if isinstance(exc, RecursionError):
        return Problem(400, "too_deep", "The input is nested too deeply.", "body")
    if isinstance(exc, OverflowError):
        return Problem(400, "out_of_range", "A number is out of range.", "body")
    return None


def server_error(request):
    """handler500: an error that escaped before or outside a view (a middleware's query with PostgreSQL
    away) answers as ``process_exception`` would: JSON in its surface's shape, 503 when the database is
    unavailable; Django's own page for the rest of the site's 500s."""
    import sys

    exc = sys.exc_info()[1]
    problem = exception_problem(exc) if exc is not None else None
    if problem is not None:
        return respond(request.path, problem)
    if request.path.startswith("/api/") or surface(request.path) != "rest":
        return respond(
            request.path,
            Problem(500, "internal_error", "An unexpected error occurred; it has been logged.", ""),
        )
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)


def _canceled(exc: BaseException) -> bool:
    from psycopg.errors import QueryCanceled

    return isinstance(exc, QueryCanceled) or isinstance(exc.__cause__, QueryCanceled)


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown paths under /api/: a JSON 404 (never Django's HTML page)."""
    return JsonResponse({"code": "not_found", "message": f"No API path {request.path!r}."}, status=404)


def _declared_length(meta: dict) -> int | None:
    value = meta.get("CONTENT_LENGTH") or ""
    return int(value) if value.isdigit() else None


class InputGuardMiddleware:
    """Refuse hostile input before any view parses it (see the module's docstring). The lineage ingestion
    path keeps its own, larger body limit and checks its decoded events itself (it may be compressed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(EXEMPT):
            return self.get_response(request)
        problem = request_line_problem(
            request.META.get("PATH_INFO", path), request.META.get("QUERY_STRING", "")
        )
        if problem is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            problem = self._body_problem(request, path)
        if problem is not None:
            return respond(path, problem)
        return self.get_response(request)

    def process_exception(self, request, exc):
        """An API request's unhandled error is JSON in its surface's shape, never a DEBUG page: 4xx when the
        input caused it (exception_problem), else a logged 500."""
        path = request.path
        if not (path.startswith("/api/") or surface(path) != "rest"):
            return None
        problem = exception_problem(exc)
        if problem is None:
            body = unexpected_error(request.method, path, exc)
            problem = Problem(500, body["code"], body["message"], "")
        return respond(path, problem)

    def _body_problem(self, request, path: str) -> Problem | None:
        if path.rstrip("/") == "/api/v1/lineage":
            return None  # apps.lineage.api: its own limit; decoded bodies checked there
        limit = settings.DICTAMESH_API_MAX_BODY_BYTES
        size = _declared_length(request.META)
        if size is not None and size > limit:
            return too_large(limit, size)
        content_type = request.META.get("CONTENT_TYPE", "")
        if "json" not in content_type or request.META.get("HTTP_CONTENT_ENCODING"):
            return None
        from django.core.exceptions import RequestDataTooBig

        try:
            body = request.body
        except RequestDataTooBig:
            return too_large(limit)
        return body_problem(body)
