"""The Confluent Schema Registry REST API (``DICTAMESH_SCHEMA_REGISTRY_PATH``), for Kafka clients unchanged.

Bodies and errors are Confluent's: ``{"error_code", "message"}`` with the matching HTTP status; responses are
``application/vnd.schemaregistry.v1+json``. Any JSON request content type is accepted. Reads follow the API's
auth rules (a token, a session, or anonymous when allowed); writes need a token (Bearer, or HTTP Basic
``username:token``). Views only translate HTTP: the work is in services and selectors.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from dictamesh.api.base import SAFE_METHODS
from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import deletion, errors, governed, policies, selectors, services
from .formats import get_format, supported_types
from .models import Schema, SubjectVersion

logger = logging.getLogger("dictamesh.schemas")
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class _HttpError(Exception):
    def __init__(self, status: int, error_code: int, message: str):
        self.status, self.error_code, self.message = status, error_code, message


def respond(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type=CONTENT_TYPE)


def _error(status: int, error_code: int, message: str) -> HttpResponse:
    return respond({"error_code": error_code, "message": message}, status)


def endpoint(*methods: str):
    """A view of the API: method dispatch, auth, Confluent errors, never an HTML page."""

    def wrap(handlers: dict[str, Any]):
        @csrf_exempt
        @functools.wraps(next(iter(handlers.values())))
        def view(request, **kwargs):
            handler = handlers.get(request.method)
            if handler is None:
                return _error(405, 405, f"HTTP {request.method} is not supported here.")
            user = getattr(request, "user", None)
            if request.method not in SAFE_METHODS and getattr(request, "auth_token", None) is None:
                return _error(401, 401, "Writes need a DictaMesh API token: Bearer, or Basic username:token.")
            signed_in = user is not None and user.is_authenticated
            if getattr(request, "auth_token", None) is None and not (
                signed_in or settings.DICTAMESH_ALLOW_ANONYMOUS_READ
            ):
                return _error(401, 401, "Authentication is required: send a DictaMesh API token.")
            try:
                _governed(request, handler, kwargs.get("subject"))
                return handler(request, **kwargs)
            except _HttpError as exc:
                return _error(exc.status, exc.error_code, exc.message)
            except DictaMeshError as exc:  # a RegistryError carries Confluent's own error_code
                status, body, headers = exc.wire("confluent")
                answer = respond(body, status)
                for name, value in headers:
                    answer[name] = value
                return answer
            except RecursionError:
                return _error(422, 42201, "Invalid schema: it is nested too deeply.")
            except Exception as exc:
                from dictamesh.api.guard import exception_problem

                if (problem := exception_problem(exc)) is not None:
                    return _error(422 if problem.status == 400 else problem.status,
                                  42201 if problem.status == 400 else problem.status, problem.message)  # fmt: skip
                logger.exception("schema registry error in %s %s", request.method, request.path)
                return _error(500, 50001, "Error in the backend data store.")

        return view

    return wrap


def _action(handler) -> str:
    """What a handler does to its subject, for governance: lookups and compatibility checks read."""
    if handler in (_register, _config_put, _config_delete, _mode_put, _mode_delete):
        return "write"
    if handler in (_subject_delete, _version_delete):
        return "delete"
    return "read"


def _governed(request, handler, subject: str | None) -> None:
    """Governance: a subject the caller may not read does not exist for it (40401); a write it may not do
    is denied (40301)."""
    if subject:
        governed.require(request, _action(handler), subject)


def _flag(request, name: str, default: bool = False) -> bool:
    value = request.GET.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise _HttpError(400, 400, f"Query parameter '{name}' must be true or false, not {value!r}.")


def _body(request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _HttpError(400, 400, f"The request body is not valid JSON: {exc}") from None


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _HttpError(404, 40403 if what == "schema id" else 404, f"Invalid {what} {value!r}.") from None


def _schema_text(schema: Schema, fmt: str | None) -> str:
    """The stored text, or with ``format=serialized`` a Protobuf schema as a base64 FileDescriptorProto (what
    Confluent's Protobuf deserializers ask for)."""
    if fmt == "serialized" and schema.schema_type == "PROTOBUF":
        return get_format("PROTOBUF").serialized(selectors.parsed(schema))
    return schema.text


def _schema_fields(schema: Schema, fmt: str | None = None) -> dict:
    body: dict[str, Any] = {"schema": _schema_text(schema, fmt)}
    if schema.schema_type != "AVRO":
        body["schemaType"] = schema.schema_type
    if schema.references:
        body["references"] = schema.references
    if schema.metadata is not None:
        body["metadata"] = schema.metadata
    if schema.rule_set is not None:
        body["ruleSet"] = schema.rule_set
    return body


def _version_body(row: SubjectVersion, fmt: str | None = None) -> dict:
    return {
        "subject": row.subject.name,
        "version": row.version,
        "id": row.schema_id,
        "guid": str(row.schema.guid),
        **_schema_fields(row.schema, fmt),
    }


def _actor(request) -> str:
    user = getattr(request, "user", None)
    return user_principal(user) or ""


# -- root, types, contexts ------------------------------------------------------------------------------
def _root(request):
    return respond({})


def _types(request):
    return respond(supported_types())


def _contexts(request):
    return respond(["."])


# -- subjects ---------------------------------------------------------------------------------------------
def _subjects(request):
    prefix = request.GET.get("subjectPrefix", "")
    if prefix == ":*:":  # the default context, as Confluent clients send it
        prefix = ""
    subjects = selectors.subjects_list(prefix=prefix, deleted=_flag(request, "deleted"))
    readable = governed.readable(request, subjects)
    return respond([s for s in subjects if s in readable])


def _subject_lookup(request, subject: str):
    data = services.SchemaInput.from_body(_body(request))
    ref = services.lookup(
        subject=subject, data=data, normalize=_flag(request, "normalize"), deleted=_flag(request, "deleted")
    )
    schema = ref.schema
    body = {"subject": subject, "version": ref.version, "id": ref.schema_id, "guid": str(schema.guid)}
    return respond({**body, **_schema_fields(schema, request.GET.get("format"))})


def _subject_delete(request, subject: str):
    return respond(
        deletion.subject_delete(subject=subject, permanent=_flag(request, "permanent"), actor=_actor(request))
    )


def _versions_list(request, subject: str):
    return respond(
        selectors.versions_of(
            subject, deleted=_flag(request, "deleted"), deleted_only=_flag(request, "deletedOnly")
        )
    )


def _register(request, subject: str):
    data = services.SchemaInput.from_body(_body(request))
    result = services.register(
        subject=subject, data=data, normalize=_flag(request, "normalize"), actor=_actor(request)
    )
    # no schema text: clients cache the schema they sent under this id (a Protobuf serializer sent a
    # descriptor, and reads it back as one); Confluent answers the same way
    return respond(
        {
            "id": result.schema.pk,
            "guid": str(result.schema.guid),
            "subject": result.subject,
            "version": result.version,
        }
    )


def _version_get(request, subject: str, version: str):
    row = selectors.version_get(subject, version, deleted=_flag(request, "deleted"))
    return respond(_version_body(row, request.GET.get("format")))


def _version_delete(request, subject: str, version: str):
    return respond(
        deletion.version_delete(
            subject=subject, version=version, permanent=_flag(request, "permanent"), actor=_actor(request)
        )
    )


def _version_schema(request, subject: str, version: str):
    row = selectors.version_get(subject, version, deleted=_flag(request, "deleted"))
    return HttpResponse(row.schema.text, content_type=CONTENT_TYPE)


def _referenced_by(request, subject: str, version: str):
    return respond(selectors.referenced_by(subject, version))


# -- schemas by id --------------------------------------------------------------------------------------
def _schema_by_id(request, schema_id: str):
    schema = selectors.schema_get(_int(schema_id, "schema id"))
    governed.require_schema(request, schema.pk)
    body = _schema_fields(schema, request.GET.get("format"))
    body["guid"] = str(schema.guid)
    if _flag(request, "fetchMaxId"):
        body["maxId"] = selectors.max_schema_id()
    return respond(body)


def _schema_text_by_id(request, schema_id: str):
    schema = selectors.schema_get(_int(schema_id, "schema id"))
    governed.require_schema(request, schema.pk)
    return HttpResponse(schema.text, content_type=CONTENT_TYPE)


def _schema_by_guid(request, guid: str):
    schema = selectors.schema_by_guid(guid)
    governed.require_schema(request, schema.pk)
    return respond(
        {**_schema_fields(schema, request.GET.get("format")), "id": schema.pk, "guid": str(schema.guid)}
    )


def _schema_versions(request, schema_id: str):
    pairs = selectors.schema_versions(_int(schema_id, "schema id"), deleted=_flag(request, "deleted"))
    readable = governed.readable(request, [s for s, _ in pairs])
    if pairs and not readable:
        raise errors.SchemaNotFound(f"Schema {schema_id} not found")
    return respond(
        [{"subject": subject, "version": version} for subject, version in pairs if subject in readable]
    )


def _schema_subjects(request, schema_id: str):
    subjects = selectors.schema_subjects(_int(schema_id, "schema id"), deleted=_flag(request, "deleted"))
    readable = governed.readable(request, subjects)
    if subjects and not readable:
        raise errors.SchemaNotFound(f"Schema {schema_id} not found")
    return respond([s for s in subjects if s in readable])


def _schemas(request):
    rows = selectors.schemas_list(
        prefix=request.GET.get("subjectPrefix", ""),
        deleted=_flag(request, "deleted"),
        latest_only=_flag(request, "latestOnly"),
    )
    readable = governed.readable(request, sorted({r.subject.name for r in rows}))
    return respond([_version_body(row) for row in rows if row.subject.name in readable])


# -- config and mode ------------------------------------------------------------------------------------
def _config_get(request, subject: str = ""):
    return respond(selectors.config_of(subject, default_to_global=_flag(request, "defaultToGlobal")))


def _config_put(request, subject: str = ""):
    return respond(policies.config_set(subject=subject, body=_body(request)))


def _config_delete(request, subject: str = ""):
    return respond(policies.config_delete(subject=subject))


def _mode_get(request, subject: str = ""):
    return respond({"mode": selectors.mode_of(subject, default_to_global=_flag(request, "defaultToGlobal"))})


def _mode_put(request, subject: str = ""):
    return respond(policies.mode_set(subject=subject, body=_body(request), force=_flag(request, "force")))


def _mode_delete(request, subject: str):
    return respond(policies.mode_delete(subject=subject))


# -- compatibility --------------------------------------------------------------------------------------
def _compatibility(request, subject: str, version: str | None = None):
    data = services.SchemaInput.from_body(_body(request))
    messages = services.compatibility_check(
        subject=subject, version=version, data=data, normalize=_flag(request, "normalize")
    )
    body: dict[str, Any] = {"is_compatible": not messages}
    if _flag(request, "verbose"):
        body["messages"] = messages
    return respond(body)


S = r"(?P<subject>.+?)"
V = r"(?P<version>[^/]+)"
ID = r"(?P<schema_id>[^/]+)"


def urlpatterns() -> list:
    def route(pattern: str, name: str, **handlers):
        return re_path(pattern, endpoint()(handlers), name=f"schema-registry-{name}")

    return [
        route(r"^$", "root", GET=_root),
        route(r"^schemas/types/?$", "types", GET=_types),
        route(r"^contexts/?$", "contexts", GET=_contexts),
        route(rf"^schemas/ids/{ID}/versions/?$", "schema-versions", GET=_schema_versions),
        route(rf"^schemas/ids/{ID}/subjects/?$", "schema-subjects", GET=_schema_subjects),
        route(rf"^schemas/ids/{ID}/schema/?$", "schema-text", GET=_schema_text_by_id),
        route(rf"^schemas/ids/{ID}/?$", "schema", GET=_schema_by_id),
        route(r"^schemas/guids/(?P<guid>[^/]+)/?$", "schema-guid", GET=_schema_by_guid),
        route(r"^schemas/?$", "schemas", GET=_schemas),
        route(r"^subjects/?$", "subjects", GET=_subjects),
        route(rf"^subjects/{S}/versions/{V}/schema/?$", "version-schema", GET=_version_schema),
        route(rf"^subjects/{S}/versions/{V}/referencedby/?$", "referenced-by", GET=_referenced_by),
        route(rf"^subjects/{S}/versions/{V}/?$", "version", GET=_version_get, DELETE=_version_delete),
        route(rf"^subjects/{S}/versions/?$", "versions", GET=_versions_list, POST=_register),
        route(rf"^subjects/{S}/?$", "subject", POST=_subject_lookup, DELETE=_subject_delete),
        route(r"^config/?$", "config", GET=_config_get, PUT=_config_put, DELETE=_config_delete),
        route(rf"^config/{S}/?$", "subject-config", GET=_config_get, PUT=_config_put, DELETE=_config_delete),
        route(r"^mode/?$", "mode", GET=_mode_get, PUT=_mode_put),
        route(rf"^mode/{S}/?$", "subject-mode", GET=_mode_get, PUT=_mode_put, DELETE=_mode_delete),
        route(rf"^compatibility/subjects/{S}/versions/{V}/?$", "compatibility", POST=_compatibility),
        route(rf"^compatibility/subjects/{S}/versions/?$", "compatibility-all", POST=_compatibility),
        re_path(r"^", _not_found, name="schema-registry-unknown"),  # Confluent's 404 body, never HTML
    ]


@csrf_exempt
def _not_found(request, *args, **kwargs) -> HttpResponse:
    return _error(404, 404, "HTTP 404 Not Found")
