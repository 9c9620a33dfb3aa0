"""Domain errors: one small hierarchy, mapped once to HTTP (REST) and GraphQL errors.

Services raise these; the REST layer renders ``{"code", "message", "fields"?}`` with ``status``,
the GraphQL layer renders ``{"message", "extensions": {"code", "fields"?}}``.
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


class ValidationError(DictaMeshError):
    code = "invalid"
    status = 400
    default_message = "The input is invalid."


class Unauthenticated(DictaMeshError):
    code = "unauthenticated"
    status = 401
    default_message = (
        "Authentication is required: send a DictaMesh API token as `Authorization: Bearer <token>`."
    )


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
    code = "rate_limited"
    status = 429
    default_message = "Too many requests."


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
