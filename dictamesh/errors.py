"""Domain errors: one small hierarchy, mapped once to HTTP (REST) and GraphQL errors.

Services raise these; every layer renders them through :meth:`DictaMeshError.wire`: REST as
``{"code", "message", "fields"?}`` with ``status``, GraphQL as ``{"message", "extensions": {"code",
"fields"?}}``, the Confluent API as ``{"error_code", "message"}``, each with the error's headers.
"""

from __future__ import annotations


class DictaMeshError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be processed."

    def __init__(
        self, message: str | None = None, *, fields: dict[str, str] | None = None, code: str | None = None
    ):
        self.message = message or self.default_message
        self.fields = fields or None
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body

    def headers(self) -> list[tuple[str, str]]:
        """The HTTP headers that go with this error on every wire (Retry-After, WWW-Authenticate)."""
        return []

    def wire(self, shape: str = "rest") -> tuple[int, dict, list[tuple[str, str]]]:
        """(status, body, headers) in one of the three wire shapes DictaMesh answers in: ``rest`` (its own
        ``{"code", "message", "fields"?}``), ``graphql`` (``{"errors": [{"message", "extensions"}]}``) and
        ``confluent`` (Schema Registry clients read ``{"error_code", "message"}``)."""
        if shape == "graphql":
            extensions = {k: v for k, v in self.as_dict().items() if k != "message"}
            body: dict = {"errors": [{"message": self.message, "extensions": extensions}]}
        elif shape == "confluent":
            body = {"error_code": getattr(self, "error_code", self.status), "message": self.message}
        else:
            body = self.as_dict()
        return self.status, body, self.headers()


class ValidationError(DictaMeshError):
    code = "invalid"
    status = 400
    default_message = "The input is invalid."


CHALLENGE = 'Bearer realm="dictamesh", Basic realm="dictamesh"'  # WWW-Authenticate of every 401


class Unauthenticated(DictaMeshError):
    code = "unauthenticated"
    status = 401
    default_message = (
        "Authentication is required: send a DictaMesh API token as `Authorization: Bearer <token>`."
    )

    def headers(self) -> list[tuple[str, str]]:
        return [("WWW-Authenticate", CHALLENGE)]


class PermissionDenied(DictaMeshError):
    code = "permission_denied"
    status = 403
    default_message = "You are not allowed to do this."


class NotFound(DictaMeshError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class Conflict(DictaMeshError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class RateLimited(DictaMeshError):
    """Too many requests: ``retry_after`` seconds to wait, told in the body and in Retry-After."""

    code = "rate_limited"
    status = 429
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))

    def as_dict(self) -> dict:
        return {**super().as_dict(), "retry_after": self.retry_after}

    def headers(self) -> list[tuple[str, str]]:
        return [("Retry-After", str(self.retry_after))]


class ServiceUnavailable(DictaMeshError):
    code = "unavailable"
    status = 503
    default_message = "A service DictaMesh depends on is unavailable."


UNKNOWN_FIELD = "unknown field"


def unknown_fields(data: dict, allowed) -> dict[str, str]:
    """{field: "unknown field"} for each key of ``data`` not in ``allowed`` (sorted): what every hand-read
    body reports, so that a misspelt field is refused by name (docs/api.md), never ignored."""
    if not isinstance(allowed, set | frozenset | dict):
        allowed = set(allowed)
    unknown = [key for key in data if key not in allowed]  # on the bulk path: nothing sorted when all known
    return {str(key): UNKNOWN_FIELD for key in sorted(unknown, key=str)} if unknown else {}


def http_response(error: DictaMeshError, *, shape: str = "rest"):
    """The JSON response of ``error`` in a wire shape (``DictaMeshError.wire``), with its headers."""
    from django.http import JsonResponse

    status, body, headers = error.wire(shape)
    response = JsonResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response
