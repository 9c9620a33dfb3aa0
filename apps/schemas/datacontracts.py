"""Beyond the wire API: subjects as catalog entities' data contracts, and migration scripts per version."""

from __future__ import annotations

from typing import Any

from dictamesh.errors import Conflict, ValidationError
from dictamesh.events.context import current_actor

from . import errors, selectors
from .models import MigrationDirection, MigrationScript


def entity_link(*, subject: str, urn: str, actor: str | None = None) -> None:
    """Make ``subject`` the data contract of the catalog entity ``urn`` (404 for either missing)."""
    from apps.catalog.public import entity_link_schema

    selectors.subject_get(subject)
    entity_link_schema(urn=urn, subject=subject, actor=actor)


def entity_unlink(*, subject: str, urn: str, actor: str | None = None) -> None:
    from apps.catalog.public import entities_with_schema, entity_link_schema

    if urn not in entities_with_schema(subject=subject):
        raise errors.SubjectNotFound(f"Entity {urn} is not linked to subject '{subject}'.")
    entity_link_schema(urn=urn, subject="", actor=actor)


def migration_add(
    *,
    subject: str,
    version: str | int,
    name: Any,
    direction: Any,
    body: Any,
    language: Any = "sql",
    description: Any = "",
    actor: str | None = None,
) -> MigrationScript:
    """Store a migration script for a version: ``up`` moves data to it, ``down`` back from it."""
    row = selectors.version_get(subject, version)
    problems = {}
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems["name"] = "required, at most 200 characters"
    if direction not in MigrationDirection.values:
        problems["direction"] = "up or down"
    if not isinstance(body, str) or not body.strip():
        problems["body"] = "required: the script's text"
    if not isinstance(language, str) or not language.strip() or len(language) > 30:
        problems["language"] = "at most 30 characters (sql, python, ...)"
    if not isinstance(description, str):
        problems["description"] = "a string"
    if problems:
        raise ValidationError("The migration script is invalid.", fields=problems)
    if row.migrations.filter(direction=direction, name=name.strip()).exists():
        raise Conflict(
            f"Version {row.version} of {subject} already has a {direction} migration {name!r}.",
            fields={"name": "exists"},
        )
    return MigrationScript.objects.create(
        version=row,
        name=name.strip(),
        direction=direction,
        language=language.strip(),
        body=body,
        description=description,
        actor=actor or current_actor() or "",
    )
