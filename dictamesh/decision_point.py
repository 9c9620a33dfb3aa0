"""The governance decision point as the apps below governance call it (ADR 0027).

The catalog, the schema registry and lineage must have every read and write decided by governance, and
governance decides by what they hold (entities, fields, lineage edges): the two depended on each other.
Now governance is the higher layer. The lower apps call these functions; the implementation is the module
``settings.DICTAMESH_DECISION_POINT`` names (``apps.governance.public``), set in the composition root
(config/settings) and imported on first use, so no lower app imports governance.

``acc`` is what ``access(request)`` returns: the caller's access for one request (``require``, ``decide``,
``flush``, …), passed back unchanged.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from django.conf import settings

_impl: tuple[str, ModuleType] | None = None


def _point() -> ModuleType:
    global _impl  # noqa: PLW0603 - the implementation, imported once per process (per setting)
    path = settings.DICTAMESH_DECISION_POINT
    if _impl is None or _impl[0] != path:
        _impl = (path, importlib.import_module(path))
    return _impl[1]


def access(request) -> Any:
    """The caller's access for this request (cached on the request)."""
    return _point().access(request)


def entity_resource(state: dict, fields: dict | None = None) -> Any:
    return _point().entity_resource(state, fields)


def entity_out(acc, state: dict, *, hide: bool = True) -> dict:
    """The entity as this caller may see it (masked); NotFound or PermissionDenied when it may not read it."""
    return _point().entity_out(acc, state, hide=hide)


def entities_out(acc, states: list[dict], *, filtered: bool = False) -> list[dict]:
    """The states this caller may read, masked (``filtered``: already selected with ``entity_visible_sql``)."""
    return _point().entities_out(acc, states, filtered=filtered)


def entity_diff_out(acc, state: dict, changes: list[dict]) -> list[dict]:
    return _point().entity_diff_out(acc, state, changes)


def entity_write_problem(acc, before: dict | None, after: dict):
    """Why this caller may not make this write (a DictaMeshError), or None."""
    return _point().entity_write_problem(acc, before, after)


def entity_visible_sql(acc, alias: str) -> tuple[str, list] | None:
    """The SQL condition (with its parameters) of the entities this caller may read; None: all of them."""
    return _point().entity_visible_sql(acc, alias)


def schemas_readable(acc, subjects: list[str]) -> set[str]:
    return _point().schemas_readable(acc, subjects)


def schema_decide(acc, action: str, subject: str) -> Any:
    return _point().schema_decide(acc, action, subject)


def linked_decide(acc, action: str, urn: str, *, kind: str = "lineage") -> Any:
    return _point().linked_decide(acc, action, urn, kind=kind)


def linked_refused(acc, action: str, urns: list[str], *, kind: str = "lineage") -> list[str]:
    return _point().linked_refused(acc, action, urns, kind=kind)


def structure_decide(acc, action: str, *, domain: str = "", source: str = "") -> Any:
    """A decision on the catalog's structure: a domain (``domain``) or a source system (``source``)."""
    return _point().structure_decide(acc, action, domain=domain, source=source)
