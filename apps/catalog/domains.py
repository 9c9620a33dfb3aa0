"""Writes of the catalog's homes: domains and source systems (re-exported by services.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dictamesh.errors import Conflict, ValidationError

from .models import Domain, SourceSystem


def _slug_problem(name: Any) -> str | None:
    from .urns import SLUG

    if not isinstance(name, str) or not SLUG.match(name):
        return "a lower-case slug: letters, digits, _ . - (at most 100)"
    return None


@transaction.atomic
def domain_create(*, name: str, display_name: str = "", description: str = "", owner: str = "") -> Domain:
    if problem := _slug_problem(name):
        raise ValidationError("The domain name is invalid.", fields={"name": problem})
    if Domain.objects.filter(name=name).exists():
        raise Conflict(f"Domain {name!r} already exists.", fields={"name": "exists"})
    return Domain.objects.create(
        name=name, display_name=display_name[:200], description=description, owner=owner[:200]
    )


@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str,
    display_name: str = "",
    description: str = "",
    connection_ref: str = "",
    owner: str = "",
) -> SourceSystem:
    problems = {}
    if problem := _slug_problem(name):
        problems["name"] = problem
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 50:
        problems["kind"] = "required, at most 50 characters"
    if len(connection_ref or "") > 300:
        problems["connection_ref"] = "at most 300 characters"
    if problems:
        raise ValidationError("The source system is invalid.", fields=problems)
    if SourceSystem.objects.filter(name=name).exists():
        raise Conflict(f"Source system {name!r} already exists.", fields={"name": "exists"})
    return SourceSystem.objects.create(
        name=name,
        kind=kind.strip(),
        display_name=display_name[:200],
        description=description,
        connection_ref=connection_ref,
        owner=owner[:200],
    )
