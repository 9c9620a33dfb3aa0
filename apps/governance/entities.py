"""The decision point applied to catalog entities: their resources (with their confirmed sensitive fields),
masking, reads one by one or by page, writes that change what policies decide by, diffs, and the SQL of
what a caller may list. Other apps reach these through public.py."""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache

from .access import Access, FieldInfo
from .contracts import Resource


def sensitive_fields(acc: Access, urns: list[str]) -> dict[str, dict[str, FieldInfo]]:
    """The confirmed sensitive fields of entities: from this process's cache while the policy version (read
    by the request, and bumped by every classification decision) has not moved, else one query."""
    cache = _FIELD_CACHE.at(acc.policies.version)
    with _FIELD_CACHE.lock:  # an LRU reorders itself on reads: a web worker's threads share it
        known = {u: cache[u] for u in urns if u in cache}
    if len(known) < len(urns):
        from .selectors import field_infos

        missing = [u for u in urns if u not in known]
        found = field_infos(urns=missing)
        with _FIELD_CACHE.lock:
            for urn in missing:
                known[urn] = cache[urn] = _Fields(found.get(urn) or {})
    return {u: known[u] for u in urns}


class _VersionedCache:
    """{urn: field infos}, valid for one policy version; at most ``size`` entities (LRU)."""

    def __init__(self, size: int):
        self.size, self.version, self.entries = size, None, None
        self.lock = threading.Lock()

    def at(self, version: int):
        with self.lock:
            if self.version != version or self.entries is None:
                self.version, self.entries = version, LRUCache(maxsize=self.size)
            return self.entries


_FIELD_CACHE = _VersionedCache(100_000)


def entity_resource(state: dict, fields: dict[str, FieldInfo] | None = None) -> Resource:
    """A catalog entity state (REST shape) as a resource; ``fields`` adds its PII categories."""
    if not fields:
        pii: tuple[str, ...] = ()
    elif isinstance(fields, _Fields):
        pii = fields.pii
    else:
        pii = _pii_of(fields)
    get = state.get
    return Resource(
        kind="entity",
        urn=state["urn"],
        type=get("type", ""),
        domain=get("domain", ""),
        source=get("source", ""),
        classification=get("classification", "internal"),
        tags=tuple(get("tags") or ()),
        owners=tuple([o["principal"] for o in get("owners") or ()]),
        pii=pii,
        subject=get("schema_subject", ""),
    )


def _pii_of(fields: dict[str, FieldInfo]) -> tuple[str, ...]:
    return tuple(sorted({c for info in fields.values() for c in info.categories}))


class _Fields(dict):
    """An entity's field infos as the field cache keeps them, with their PII categories found once."""

    __slots__ = ("pii",)

    def __init__(self, infos: dict[str, FieldInfo]):
        super().__init__(infos)
        self.pii = _pii_of(self)


def masked_state(acc: Access, state: dict, fields: dict[str, FieldInfo], resource: Resource) -> dict:
    properties = state.get("properties")
    if not fields or not isinstance(properties, dict):
        return state
    masked_props, masked = acc.mask_fields(resource, properties, fields)
    if not masked:
        return state
    return {**state, "properties": masked_props, "masked_fields": masked}


def entity_out(acc: Access, state: dict, *, hide: bool = True) -> dict:
    """The entity state this caller may see: NotFound (hide) or PermissionDenied if it may not read it,
    else the state with the fields it may not read_sensitive masked (a copy; ``state`` is not changed)."""
    fields = sensitive_fields(acc, [state["urn"]])[state["urn"]]
    resource = entity_resource(state, fields)
    acc.require("read", resource, hide=hide)
    return masked_state(acc, state, fields, resource)


def record_out(acc: Access, state: dict, record: dict) -> dict:
    """A live record of an entity the caller may read (an adapter's), with the entity's sensitive fields this
    caller may not read_sensitive masked (a copy). Field paths are the entity's classified fields."""
    fields = sensitive_fields(acc, [state["urn"]])[state["urn"]]
    if not fields or not isinstance(record, dict):
        return record
    masked, _ = acc.mask_fields(entity_resource(state, fields), record, fields)
    return masked


def entities_out(acc: Access, states: list[dict], *, filtered: bool = False) -> list[dict]:
    """The states this caller may read, masked: one query for the fields of all of them. ``filtered``: the
    states were selected with ``entity_visible_sql`` (which answers as ``decide`` does, row by row), so
    the read decision is not taken again."""
    infos = sensitive_fields(acc, [s["urn"] for s in states])
    out = []
    for state in states:
        fields = infos[state["urn"]]
        if not fields and filtered:
            out.append(state)
            continue
        resource = entity_resource(state, fields)
        if filtered or acc.can("read", resource):
            out.append(masked_state(acc, state, fields, resource))
    return out


GOVERNED_ATTRIBUTES = ("owners", "domain", "classification", "tags", "schema_subject")  # what policies read


def _at(data: Any, segments: list[str]):
    for key in segments:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def entity_governed_changes(before: dict, after: dict, fields: dict[str, FieldInfo]) -> list[str]:
    """What a write changes of what policies decide by: the attributes policies read (owners, domain,
    classification, tags, schema subject) and the values of the entity's confirmed sensitive fields."""
    changed = []
    for name in GOVERNED_ATTRIBUTES:
        old, new = before.get(name), after.get(name)
        if name in ("owners", "tags"):
            old = (
                sorted(map(repr, old or []))
                if name == "tags"
                else sorted((o.get("principal"), o.get("role")) for o in old or [])
            )
            new = (
                sorted(map(repr, new or []))
                if name == "tags"
                else sorted((o.get("principal"), o.get("role")) for o in new or [])
            )
        if (old or "") != (new or ""):
            changed.append(name)
    props_before, props_after = before.get("properties") or {}, after.get("properties") or {}
    for path, info in sorted(fields.items()):
        segments = path.split(".")
        if info.sensitive and _at(props_before, segments) != _at(props_after, segments):
            changed.append(f"properties.{path}")
    return changed


def entity_write_problem(acc: Access, before: dict | None, after: dict):
    """Why this caller may not make this write (an error to answer with), or None.

    The caller needs ``write`` on the entity as it is (NotFound when it may not even read it) and as it
    would become (a declassification is a write to restricted data); and changing what policies decide by
    (owners, domain, classification, tags, schema subject, the values of confirmed sensitive fields) needs
    ``manage`` on the entity as it is: stewards, or an explicit policy. So a writer cannot raise its own
    rights, say by naming itself an owner."""
    from dictamesh.errors import NotFound, PermissionDenied

    fields = sensitive_fields(acc, [after["urn"]])[after["urn"]]
    for state in (before, after):
        if state is None:
            continue
        resource = entity_resource(state, fields)
        decision = acc.decide("write", resource)
        if not decision.allowed:
            if state is before and not acc.can("read", resource):
                return NotFound(f"No entity {resource.urn}.")
            return PermissionDenied(f"You may not write entity {resource.urn}: {decision.message}")
    if before is None:
        return None
    governed = entity_governed_changes(before, after, fields)
    if governed:
        resource = entity_resource(before, fields)
        decision = acc.decide("manage", resource)
        if not decision.allowed:
            return PermissionDenied(
                f"Changing {', '.join(governed)} of entity {resource.urn} needs manage on it: "
                f"{decision.message}",
                fields={name: "needs manage" for name in governed},
            )
    return None


def entity_diff_out(acc: Access, state: dict, changes: list[dict]) -> list[dict]:
    """A field-level diff (``[{"field", "before", "after"}]``) of an entity, with values masked as in its
    state: ``properties.<path>`` entries whose path (or a parent of it) is sensitive."""
    fields = sensitive_fields(acc, [state["urn"]])[state["urn"]]
    resource = entity_resource(state, fields)
    acc.require("read", resource, hide=True)
    if not fields:
        return changes
    out = []
    for change in changes:
        name = change["field"]
        if name == "properties" or name.startswith("properties."):
            shown = dict(change)
            for side in ("before", "after"):
                wrapped: Any = shown[side]
                if name != "properties":
                    wrapped = _nest(name.split(".")[1:], shown[side])
                masked, hit = acc.mask_fields(resource, wrapped, fields)
                if hit:
                    shown[side] = masked if name == "properties" else _unnest(name.split(".")[1:], masked)
            out.append(shown)
        else:
            out.append(change)
    return out


def _nest(path: list[str], value):
    for key in reversed(path):
        value = {key: value}
    return value


def _unnest(path: list[str], value):
    for key in path:
        value = value[key]
    return value


def entity_visible_sql(acc: Access, alias: str) -> tuple[str, list] | None:
    """The entity rows (table alias ``alias``) this caller may read, as a WHERE fragment and its parameters;
    None when it may read them all."""
    sql = acc.entity_read_sql()
    if sql.text == "TRUE":
        return None
    return sql.over(alias), list(sql.params)
