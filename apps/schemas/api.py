"""DictaMesh's own REST API of the registry, under /api/v1/schemas (the Confluent API is confluent.py)."""

from __future__ import annotations

from ninja import Router
from ninja.responses import Status

from dictamesh.api.base import json_object
from dictamesh.api.contract import documented
from dictamesh.contracts import parse
from dictamesh.events.context import user_principal

from . import contracts as c
from . import datacontracts, governed, selectors, services

router = Router(tags=["schemas"])


_object = json_object


def _actor(request) -> str | None:
    user = getattr(request, "user", None)
    return user_principal(user)


@router.get(
    "/subjects",
    summary="Subjects with their latest version",
    openapi_extra=documented(responses={200: c.Subjects}),
)
def subjects(request, prefix: str = ""):
    found = selectors.subjects_overview(prefix=prefix)
    shown = governed.readable(request, [s["subject"] for s in found])
    return {"subjects": [s for s in found if s["subject"] in shown]}


@router.get(
    "/subjects/{path:subject}/versions/{version}",
    summary="A version: schema, references, migrations",
    openapi_extra=documented(responses={200: c.Version}),
)
def version(request, subject: str, version: str):
    governed.require(request, "read", subject)
    return selectors.version_dict(selectors.version_get(subject, version))


@router.get(
    "/subjects/{path:subject}/diff",
    summary="Unified diff between two versions",
    openapi_extra=documented(responses={200: c.Diff}),
)
def diff(request, subject: str, from_version: str = "1", to_version: str = "latest"):
    governed.require(request, "read", subject)
    return selectors.version_diff(subject, from_version, to_version)


@router.post(
    "/subjects/{path:subject}/versions",
    summary="Register a schema version",
    openapi_extra=documented(body=c.SchemaIn, responses={200: c.Registered}),
)
def register(request, subject: str):
    body = parse(c.SchemaIn, _object(request))
    governed.require(request, "write", subject)
    result = services.register(
        subject=subject, data=body.as_input(), normalize=body.normalize, actor=_actor(request)
    )
    row = selectors.version_get(subject, result.version)
    return {**selectors.version_dict(row), "created": result.created}


@router.post(
    "/subjects/{path:subject}/check",
    summary="Is a schema compatible? (all versions the level checks)",
    openapi_extra=documented(body=c.SchemaCheckIn, responses={200: c.CheckResult}),
)
def check(request, subject: str):
    body = parse(c.SchemaCheckIn, _object(request))
    governed.require(request, "read", subject)
    messages = services.compatibility_check(
        subject=subject, version=body.version, data=body.as_input(), normalize=body.normalize
    )
    return {
        "compatible": not messages,
        "compatibility": selectors.effective_compatibility(subject),
        "messages": messages,
    }


@router.post(
    "/subjects/{path:subject}/versions/{version}/migrations",
    response={201: dict},
    summary="Add a migration script",
    openapi_extra=documented(body=c.MigrationIn, responses={201: c.MigrationAdded}),
)
def add_migration(request, subject: str, version: str):
    body = parse(c.MigrationIn, _object(request))
    governed.require(request, "write", subject)
    script = datacontracts.migration_add(
        subject=subject, version=version, **body.model_dump(), actor=_actor(request)
    )
    return Status(201, {"name": script.name, "direction": script.direction, "language": script.language})


@router.put(
    "/subjects/{path:subject}/entities/{path:urn}",
    summary="Make the subject an entity's data contract",
    openapi_extra=documented(responses={200: c.SubjectDetail}),
)
def link(request, subject: str, urn: str):
    governed.require(request, "write", subject)
    datacontracts.entity_link(subject=subject, urn=urn, actor=_actor(request))
    return governed.subject_detail(request, selectors.subject_detail(subject))


@router.delete(
    "/subjects/{path:subject}/entities/{path:urn}",
    summary="Remove the link to an entity",
    openapi_extra=documented(responses={200: c.SubjectDetail}),
)
def unlink(request, subject: str, urn: str):
    governed.require(request, "write", subject)
    datacontracts.entity_unlink(subject=subject, urn=urn, actor=_actor(request))
    return governed.subject_detail(request, selectors.subject_detail(subject))


@router.get(
    "/subjects/{path:subject}",
    summary="A subject: versions, compatibility, mode, linked entities",
    openapi_extra=documented(responses={200: c.SubjectDetail}),
)
def subject_detail(request, subject: str):
    governed.require(request, "read", subject)
    return governed.subject_detail(request, selectors.subject_detail(subject))
