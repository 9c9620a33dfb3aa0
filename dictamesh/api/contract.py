"""The REST API's contract, stated once for every operation (docs/api.md).

- **Errors**: one shape (``Problem``: ``code``, ``message``, ``fields``), one status per kind of mistake:
  a request that does not match the API (unknown or badly typed parameters and fields) is 400 ``invalid``,
  like every other invalid input. The Marquez- and Confluent-compatible routes keep their own wire shapes.
- **Parameters**: a query parameter an operation does not declare is refused (400, the parameter named,
  the ones it takes listed) instead of being ignored, so ``?query=`` for ``?q=`` or ``?limit=`` for
  ``?first=`` is an error, not a silently different answer.
- **The OpenAPI document** declares the security schemes (a DictaMesh token as Bearer, or HTTP Basic with
  the token as password), the server, and on every operation its error responses; an operation's typed
  request body and success responses come from its app's contracts (``documented``).

Response bodies are documented from pydantic models rather than validated on the way out: the read path
is measured (docs/benchmarks.md), and a contract test checks live answers against the document instead.
"""

from __future__ import annotations

import types
from typing import Any

from django.conf import settings
from ninja import NinjaAPI, Schema
from pydantic import BaseModel, ConfigDict, Field

from dictamesh.errors import ValidationError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_COMPONENT = "#/components/schemas/{model}"


class Strict(Schema):
    """A request body or query model: a field it does not declare is refused, with its name."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """Every error of the DictaMesh API (not of its Marquez- and Confluent-compatible routes)."""

    code: str
    message: str
    fields: dict[str, str] | None = None
    retry_after: int | None = Field(default=None, description="429: seconds to wait (also in Retry-After)")


_ERRORS = {
    "400": "Invalid input: a parameter or field unknown, missing or malformed (named in `fields`)",
    "401": "No valid token (writes always need one; reads unless anonymous reads are on)",
    "403": "The governance policies do not allow this caller to do this",
    "404": "Not found, or not visible to this caller",
    "409": "Conflicts with the current state",
    "429": "Too many requests (see Retry-After)",
    "503": "A service DictaMesh depends on is unavailable; retry later",
}
_READ_ERRORS = ("400", "401", "403", "404", "429", "503")
_WRITE_ERRORS = ("400", "401", "403", "404", "409", "429", "503")

_models: dict[str, type[BaseModel]] = {"Problem": Problem}


def _ref(model: type[BaseModel]) -> dict:
    _models[model.__name__] = model
    return {"$ref": _COMPONENT.format(model=model.__name__)}


def documented(
    *,
    body: type[BaseModel] | None = None,
    responses: dict[int, type[BaseModel] | Any] | None = None,
    body_required: bool = True,
) -> dict:
    """``openapi_extra`` for an operation whose body and answers are read and written by hand (for
    speed, or because governance shapes them): the request body and the success responses as the
    models say. A response may be ``list[Model]``."""
    extra: dict[str, Any] = {}
    if body is not None:
        extra["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if responses:
        extra["responses"] = {
            str(status): {
                "description": model.__doc__.strip().splitlines()[0] if _is_model(model) else "OK",
                "content": {"application/json": {"schema": _schema_of(model)}},
            }
            for status, model in responses.items()
        }
    return extra


def _is_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel) and bool(model.__doc__)


def _schema_of(model: Any) -> dict:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return _ref(model)
    args = getattr(model, "__args__", ())
    if getattr(model, "__origin__", None) is list and args:
        return {"type": "array", "items": _schema_of(args[0])}
    if isinstance(model, types.UnionType):  # one of several shapes (a query parameter picks which)
        return {"anyOf": [_schema_of(arg) for arg in args]}
    raise TypeError(f"not a documented response model: {model!r}")


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document states the contract above on every operation."""

    def get_openapi_operation_id(self, operation) -> str:
        """``<app>_<function>`` (``catalog_entity_register``): what generated clients name their calls."""
        module = operation.view_func.__module__.split(".")
        return f"{module[1]}_{operation.view_func.__name__}"

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name, model in list(_models.items()):
            definition = model.model_json_schema(ref_template=_COMPONENT)
            for nested_name, nested in definition.pop("$defs", {}).items():
                schemas.setdefault(nested_name, nested)
            schemas[name] = definition
        components["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A DictaMesh API token (`dmt_…`): `Authorization: Bearer <token>`.",
            },
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "Your user name, and a DictaMesh API token as the password.",
            },
        }
        schema["servers"] = [{"url": getattr(settings, "DICTAMESH_PUBLIC_URL", "") or "/"}]
        problem = {"application/json": {"schema": {"$ref": _COMPONENT.format(model="Problem")}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                read = method.upper() in SAFE_METHODS
                security = [{"bearer": []}, {"basic": []}]
                if read and settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
                    security.append({})
                operation["security"] = security
                # ninja keys its responses by int, openapi_extra (``documented``) by str: one key each,
                # the documented model winning over ninja's generic ``object``
                given = operation.get("responses", {})
                responses = {str(k): v for k, v in given.items() if not isinstance(k, str)}
                responses.update({k: v for k, v in given.items() if isinstance(k, str)})
                operation["responses"] = responses
                for status in _READ_ERRORS if read else _WRITE_ERRORS:
                    if status == "404" and "{" not in path and read:
                        continue
                    responses.setdefault(status, {"description": _ERRORS[status], "content": problem})
        return schema


def reject_unknown_query_parameters(api: NinjaAPI) -> None:
    """Make every operation of ``api`` refuse a query parameter it does not declare (400, named).

    Called once every router is added (config/api.py): binding them is final. The parameters an operation
    takes are those of its query models (ninja's flattened names, aliases included)."""
    for router in api._get_bound_routers():  # ninja serves these routers' copies of the operations
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                allowed = frozenset(
                    name
                    for model in operation.models
                    if getattr(model, "__ninja_param_source__", None) == "query"
                    for name in _query_names(model)
                )
                operation.run = _checked(operation.run, allowed)


def _query_names(model) -> set[str]:
    flattened = getattr(model, "__ninja_flatten_map__", None)
    if flattened:  # the names on the wire, a Query[Schema]'s fields included
        return set(flattened)
    return {field.alias or name for name, field in model.model_fields.items()}


def _checked(run, allowed: frozenset[str]):
    def run_checked(request, **kw):
        unknown = [name for name in request.GET if name not in allowed]
        if unknown:
            takes = ", ".join(sorted(allowed)) or "none"
            error = ValidationError(
                f"Unknown query parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"this operation takes: {takes}.",
                fields={name: "unknown parameter" for name in unknown},
            )
            return run.__self__.api.create_response(request, error.as_dict(), status=error.status)
        return run(request, **kw)

    return run_checked
