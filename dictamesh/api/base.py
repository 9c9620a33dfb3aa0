from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dictamesh.auth.browser import session_write_allowed
from dictamesh.errors import UNKNOWN_FIELD, DictaMeshError, Unauthenticated, ValidationError, http_response

from .contract import SAFE_METHODS, ContractAPI
from .guard import exception_problem, unexpected_error  # noqa: F401 - unexpected_error: used by fastroutes too

WRITES_NEED_A_TOKEN = "Writes need a DictaMesh API token (Bearer) or a signed-in session with its CSRF token."  # noqa: S105


class Anonymous:
    """``request.auth`` of an allowed anonymous read."""

    is_authenticated = False

    def __bool__(self) -> bool:
        return True


class TokenAuth:
    """Reads: a token, a session, or nobody when DICTAMESH_ALLOW_ANONYMOUS_READ. Writes: a token, or a
    signed-in session whose request passes the CSRF check (dictamesh.auth.browser)."""

    def __call__(self, request):
        user = getattr(request, "user", None)
        if getattr(request, "auth_token", None) is not None:
            return user
        if request.method not in SAFE_METHODS and session_write_allowed(request):
            return user
        if request.method in SAFE_METHODS:
            if user is not None and user.is_authenticated:
                return user
            if settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
                return Anonymous()
        return None


def json_body(request, *, empty: Any = None) -> Any:
    """The request's body as JSON (``empty`` when there is none); 400 when it is not JSON (or not UTF-8)."""
    if not request.body:
        return empty
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The body is not valid JSON.", fields={"body": "JSON"}) from None


def json_object(request, *, empty: dict | None = None) -> dict:
    """The request's body as a JSON object; 400 when it is something else (``empty``: what no body means)."""
    body = json_body(request, empty=empty)
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object.", fields={"body": "object"})
    return body


def require_user(request):
    """The authenticated user of a request, or Unauthenticated (for endpoints that need an identity)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Unauthenticated()
    return user


_HTTP_CODES = {400: "invalid", 401: "unauthenticated", 403: "permission_denied", 404: "not_found"}


def build_api(*, title: str, version: str, description: str = "") -> ContractAPI:
    api = ContractAPI(
        title=title,
        version=version,
        description=description,
        auth=TokenAuth(),
        urls_namespace="api-v1",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )

    @api.exception_handler(DictaMeshError)
    def domain_error(request, exc: DictaMeshError):
        return http_response(exc)

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return http_response(
            Unauthenticated(WRITES_NEED_A_TOKEN if request.method not in SAFE_METHODS else None)
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        # the request's shape (a type, a missing or unknown field): invalid input like any other, 400
        fields = {}
        for error in exc.errors:
            loc = [
                str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload")
            ]
            message = error.get("msg", "invalid")
            fields[".".join(loc) or "body"] = (
                UNKNOWN_FIELD if error.get("type") == "extra_forbidden" else message
            )
        named = "; ".join(f"{name}: {problem}" for name, problem in list(fields.items())[:3])
        problem = ValidationError(f"The request does not match the API ({named}).", fields=fields)
        return api.create_response(request, problem.as_dict(), status=problem.status)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(
            request, {"code": "not_found", "message": str(exc) or "Not found."}, status=404
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja's own refusals (a body that is not JSON, a method not allowed) in the one error shape
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = {"code": code, "message": str(exc)}
        if code == "invalid":
            body["fields"] = {"body": str(exc)}
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        problem = exception_problem(exc)
        if problem is not None:  # the input caused it: a 4xx, nothing logged as a bug
            return api.create_response(request, problem.as_dict(), status=problem.status)
        return api.create_response(request, unexpected_error(request.method, request.path, exc), status=500)

    return api
