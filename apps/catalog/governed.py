"""The catalog's reads and writes as the caller may see and do them (governance's decision point).

Every catalog endpoint and resolver that lets an entity out goes through here: single reads are refused
as not found (a restricted entity's existence is not revealed), lists, searches, facet counts and graph
walks only ever select what the caller may read (SQL from the policies), and sensitive properties are
masked unless the caller may ``read_sensitive`` them. The read cache keeps unmasked states: masking
happens per caller on the way out, so a cached entry never serves one caller's view to another.
"""

from __future__ import annotations

from dictamesh import decision_point as governance

from .selectors import EntityFilter, Version


def visible(request) -> tuple[str, tuple] | None:
    """The entities this request's caller may read (EntityFilter.visible), None when it may read all."""
    found = governance.entity_visible_sql(governance.access(request), "{e}")
    return None if found is None else (found[0], tuple(found[1]))


def filtered(request, filters: EntityFilter) -> EntityFilter:
    from dataclasses import replace

    return replace(filters, visible=visible(request))


def entity(request, state: dict) -> dict:
    return governance.entity_out(governance.access(request), state)


def entities(request, states: list[dict], *, filtered: bool = False) -> list[dict]:
    """``filtered``: the states come from a query that had ``visible(request)`` in its WHERE clause."""
    return governance.entities_out(governance.access(request), states, filtered=filtered)


def entity_or_none(request, state: dict | None) -> dict | None:
    if state is None:
        return None
    shown = governance.entities_out(governance.access(request), [state])
    return shown[0] if shown else None


def hits(request, items: list[dict]) -> list[dict]:
    """Search hits (``{"entity", "score"}``) with their entities masked (unreadable ones dropped)."""
    shown = {s["urn"]: s for s in entities(request, [item["entity"] for item in items], filtered=True)}
    return [
        {**item, "entity": shown[item["entity"]["urn"]]} for item in items if item["entity"]["urn"] in shown
    ]


def versions(request, current: dict | None, found: list[Version]) -> list[Version]:
    """An entity's versions, each state masked as the caller would see the entity (``current``: its live
    state, or its last version when deleted)."""
    from dataclasses import replace

    if not found:
        return found
    acc = governance.access(request)
    reference = current or found[-1].state
    governance.entity_out(acc, reference)  # NotFound when the caller may not read it
    out = []
    for version in found:
        state = version.state
        if isinstance(state, dict) and state.get("urn"):
            state = governance.entities_out(acc, [state])
            if not state:
                continue  # this version was restricted (and the caller may read the entity as it is now)
            state = state[0]
        out.append(replace(version, state=state))
    return out


def diff(request, state: dict, changes: list[dict]) -> list[dict]:
    return governance.entity_diff_out(governance.access(request), state, changes)


def require(request, action: str, state: dict) -> None:
    """PermissionDenied unless the caller may ``action`` (write, delete) this entity."""
    acc = governance.access(request)
    resource = governance.entity_resource(state)
    acc.require("read", resource, hide=True)
    acc.require(action, resource)


def require_all(request, action: str, states: list[dict]) -> None:
    acc = governance.access(request)
    for state in states:
        acc.require(action, governance.entity_resource(state))


def write_check(request):
    """``check(before, after)`` for services.entities_upsert: the caller must be allowed to write the entity
    as it is (refused as not found when it may not even read it) and as it would become, and to manage it
    when the write changes what policies decide by (governance.entity_write_problem)."""
    acc = governance.access(request)

    def check(before: dict | None, after: dict):
        return governance.entity_write_problem(acc, before, after)

    return check


def require_urn(request, action: str, urn) -> None:
    """``require`` for the live entity ``urn``; nothing when there is none (the service reports that)."""
    from dictamesh.errors import NotFound

    from .selectors import entity_get

    if not isinstance(urn, str):
        return
    try:
        state = entity_get(urn=urn)
    except NotFound:
        return
    require(request, action, state)


def require_structure(request, *, domain: str = "", source: str = "") -> None:
    """PermissionDenied unless the caller may create this domain or source system (``manage``)."""
    from dictamesh.errors import PermissionDenied

    decision = governance.structure_decide(governance.access(request), "manage", domain=domain, source=source)
    if not decision.allowed:
        raise PermissionDenied(decision.message)
