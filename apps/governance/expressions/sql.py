"""A condition as SQL over the catalog's entity rows: which entities a caller may list or find, so pages,
totals and facet counts never count what the caller cannot see. What ``evaluate`` answers, row by row."""

from __future__ import annotations

from ..decisions import Actor, Resource
from .functions import FUNCTIONS
from .python import _attr, _call, _value
from .sqlparts import FALSE, TRUE, Sql, _const, join

_DOMAIN = "(SELECT d.name FROM dictamesh_catalog_domain d WHERE d.id = {e}.domain_id)"
_SOURCE = "(SELECT s.name FROM dictamesh_catalog_source s WHERE s.id = {e}.source_id)"
_OWNERS = "ARRAY(SELECT o.principal FROM dictamesh_catalog_owner o WHERE o.entity_id = {e}.id)"
_ENTITY_COLUMNS = {
    "urn": Sql("{e}.urn"),
    "type": Sql("{e}.entity_type"),
    "classification": Sql("{e}.classification"),
    "subject": Sql("{e}.schema_subject"),
    "domain": Sql(_DOMAIN),
    "source": Sql(_SOURCE),
    "tags": Sql("{e}.tags", array=True),
    "owners": Sql(_OWNERS, array=True),
    "pii": Sql("{e}.pii_categories", array=True),
}


def _sql_call(name: str, args: tuple, actor: Actor) -> Sql | bool:
    build = FUNCTIONS[name].sql
    if build is None:
        return _call(name, args, actor, Resource(kind="entity"))  # decided by the actor alone
    return build(args, actor)


def _sql(node, actor: Actor):
    """A Python constant when ``node`` does not depend on the entity row, else Sql."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return list(node[1])
    if kind == "attr":
        if node[1] == "actor":
            return _attr(actor, Resource(kind="entity"), "actor", node[2])
        if node[2] == "kind":
            return "entity"
        if node[2] == "field":
            return ""
        return _ENTITY_COLUMNS[node[2]]
    if kind == "call":
        return _sql_call(node[1], node[2], actor)
    if kind == "not":
        inner = _sql(node[1], actor)
        if not isinstance(inner, Sql):
            return not inner
        return Sql(f"NOT COALESCE({inner.text}, FALSE)", inner.params)
    if kind in ("and", "or"):
        left, right = _sql(node[1], actor), _sql(node[2], actor)
        for side, other in ((left, right), (right, left)):
            if not isinstance(side, Sql):
                if kind == "and":
                    return other if side else False
                return True if side else other
        return join(kind.upper(), [_boolean(left), _boolean(right)])
    op, left, right = node[1], _sql(node[2], actor), _sql(node[3], actor)
    if not isinstance(left, Sql) and not isinstance(right, Sql):
        return _value(("cmp", op, ("lit", left), ("lit", right)), actor, Resource(kind="entity"))
    lsql, rsql = _as_sql(left), _as_sql(right)
    if op in ("==", "!="):
        if lsql.array or rsql.array:
            text = f"({lsql.text}) {'=' if op == '==' else '<>'} ({rsql.text})"
            if lsql.array and rsql.array:
                return Sql(f"COALESCE({text}, FALSE)", lsql.params + rsql.params)
            return op == "!="  # a list never equals a single value (as in Python)
        sign = "IS NOT DISTINCT FROM" if op == "==" else "IS DISTINCT FROM"
        return Sql(f"({lsql.text} {sign} {rsql.text})", lsql.params + rsql.params)
    if not rsql.array or lsql.array:
        return op == "notin"  # `x in 'text'` and `list in list` are false, as in evaluate()
    found = Sql(f"COALESCE({lsql.text} = ANY({rsql.text}), FALSE)", lsql.params + rsql.params)
    return found if op == "in" else Sql(f"NOT {found.text}", found.params)


def _as_sql(value) -> Sql:
    return value if isinstance(value, Sql) else _const(value)


def _boolean(value) -> Sql:
    return _as_sql(value) if isinstance(value, Sql) else (TRUE if value else FALSE)


def to_sql(tree, *, actor: Actor) -> Sql:
    """The condition over entity rows (alias ``e``) for this actor: what ``evaluate`` answers, row by row."""
    result = _sql(tree, actor)
    if isinstance(result, Sql):
        return Sql(f"COALESCE({result.text}, FALSE)", result.params)
    return TRUE if result else FALSE
