"""DictaMesh's own REST API of the registry, under /api/v1/schemas (the Confluent API is confluent.py)."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.responses import Status

from dictamesh.api.base import json_object
from dictamesh.events.context import user_principal

from . import datacontracts, governed, selectors, services

router = Router(tags=["schemas"])


_object = json_object


def _actor(request) -> str | None:
    user = getattr(request, "user", None)
    return user_principal(user)


def _input(body: dict) -> services.SchemaInput:
    return services.SchemaInput.from_body(
        {
            "schema": body.get("schema"),
            "schemaType": body.get("schema_type") or body.get("schemaType"),
            "references": body.get("references"),
            "metadata": body.get("metadata"),
            "ruleSet": body.get("rule_set", body.get("ruleSet")),
        }
    )


@router.get("/subjects", summary="Subjects with their latest version")
def subjects(request, prefix: str = ""):
    found = selectors.subjects_overview(prefix=prefix)
    shown = governed.readable(request, [s["subject"] for s in found])
    return {"subjects": [s for s in found if s["subject"] in shown]}


@router.get(
    "/subjects/{path:subject}/versions/{version}", summary="A version: schema, references, migrations"
)
def version(request, subject: str, version: str):
    governed.require(request, "read", subject)
    return selectors.version_dict(selectors.version_get(subject, version))


@router.get("/subjects/{path:subject}/diff", summary="Unified diff between two versions")
def diff(request, subject: str, from_version: str = "1", to_version: str = "latest"):
    governed.require(request, "read", subject)
    return selectors.version_diff(subject, from_version, to_version)


@router.post("/subjects/{path:subject}/versions", summary="Register a schema version")
def register(request, subject: str):
    body = _object(request)
    governed.require(request, "write", subject)
    result = services.register(
        subject=subject, data=_input(body), normalize=body.get("normalize") is True, actor=_actor(request)
    )
    row = selectors.version_get(subject, result.version)
    return {**selectors.version_dict(row), "created": result.created}


@router.post(
    "/subjects/{path:subject}/check", summary="Is a schema compatible? (all versions the level checks)"
)
def check(request, subject: str):
    body = _object(request)
    governed.require(request, "read", subject)
    messages = services.compatibility_check(
        subject=subject,
        version=body.get("version"),
        data=_input(body),
        normalize=body.get("normalize") is True,
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
)
def add_migration(request, subject: str, version: str):
    body: dict[str, Any] = _object(request)
    governed.require(request, "write", subject)
    script = datacontracts.migration_add(
        subject=subject,
        version=version,
        name=body.get("name"),
        direction=body.get("direction"),
        body=body.get("body"),
        language=body.get("language", "sql"),
        description=body.get("description", ""),
        actor=_actor(request),
    )
    return Status(201, {"name": script.name, "direction": script.direction, "language": script.language})


@router.put(
    "/subjects/{path:subject}/entities/{path:urn}", summary="Make the subject an entity's data contract"
)
def link(request, subject: str, urn: str):
    governed.require(request, "write", subject)
    datacontracts.entity_link(subject=subject, urn=urn, actor=_actor(request))
    return selectors.subject_detail(subject)


@router.delete("/subjects/{path:subject}/entities/{path:urn}", summary="Remove the link to an entity")
def unlink(request, subject: str, urn: str):
    governed.require(request, "write", subject)
    datacontracts.entity_unlink(subject=subject, urn=urn, actor=_actor(request))
    return selectors.subject_detail(subject)


@router.get("/subjects/{path:subject}", summary="A subject: versions, compatibility, mode, linked entities")
def subject_detail(request, subject: str):
    governed.require(request, "read", subject)
    return selectors.subject_detail(subject)
