"""A condition as Python: a closure per node, built once per policy (what a decision runs), and the
interpreter ``explain`` uses. Functions come from the one table (functions.py)."""

from __future__ import annotations

from collections.abc import Callable

from ..decisions import Actor, Resource
from .functions import FUNCTIONS
from .language import RESOURCE_ATTRIBUTES


def _attr(actor: Actor, resource: Resource, owner: str, name: str):
    if owner == "actor":
        if name == "groups":
            return sorted(actor.groups)
        if name == "roles":
            return sorted(actor.roles)
        return getattr(actor, name)
    value = getattr(resource, name)
    return list(value) if isinstance(value, tuple) else value


def _call(name: str, args: tuple, actor: Actor, r: Resource) -> bool:
    return FUNCTIONS[name].python(args)(actor, r)  # parse() admits only FUNCTIONS


def _value(node, actor: Actor, resource: Resource):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return list(node[1])
    if kind == "attr":
        return _attr(actor, resource, node[1], node[2])
    if kind == "call":
        return _call(node[1], node[2], actor, resource)
    if kind == "not":
        return not _truth(node[1], actor, resource)
    if kind == "and":
        return _truth(node[1], actor, resource) and _truth(node[2], actor, resource)
    if kind == "or":
        return _truth(node[1], actor, resource) or _truth(node[2], actor, resource)
    op, left, right = node[1], _value(node[2], actor, resource), _value(node[3], actor, resource)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    found = isinstance(right, list) and left in right
    return found if op == "in" else not found


def _truth(node, actor: Actor, resource: Resource) -> bool:
    return bool(_value(node, actor, resource))


def evaluate(tree, *, actor: Actor, resource: Resource) -> bool:
    return _truth(tree, actor, resource)


def _closure(node):
    kind = node[0]
    if kind == "lit":
        value = node[1]
        return lambda a, r: value
    if kind == "list":
        values = list(node[1])
        return lambda a, r: values
    if kind == "attr":
        owner, name = node[1], node[2]
        if owner == "resource" and RESOURCE_ATTRIBUTES[name] is str:
            return lambda a, r: getattr(r, name)
        return lambda a, r: _attr(a, r, owner, name)
    if kind == "call":
        return FUNCTIONS[node[1]].python(node[2])
    if kind == "not":
        inner = _closure(node[1])
        return lambda a, r: not inner(a, r)
    if kind in ("and", "or"):
        left, right = _closure(node[1]), _closure(node[2])
        if kind == "and":
            return lambda a, r: bool(left(a, r)) and bool(right(a, r))
        return lambda a, r: bool(left(a, r)) or bool(right(a, r))
    op, left, right = node[1], _closure(node[2]), _closure(node[3])
    if op == "==":
        return lambda a, r: left(a, r) == right(a, r)
    if op == "!=":
        return lambda a, r: left(a, r) != right(a, r)

    def member(a, r):
        container = right(a, r)
        return isinstance(container, list) and left(a, r) in container

    return member if op == "in" else (lambda a, r: not member(a, r))


def resource_reads(tree) -> frozenset[str] | None:
    """The resource attributes a condition's value depends on (``OWNS`` for ownership), for a given actor;
    None when that cannot be told (then a decision depends on the whole resource)."""
    kind = tree[0]
    if kind in ("lit", "list"):
        return frozenset()
    if kind == "attr":
        return frozenset({tree[2]}) if tree[1] == "resource" else frozenset()
    if kind == "call":
        return FUNCTIONS[tree[1]].reads if tree[1] in FUNCTIONS else None
    if kind == "not":
        return resource_reads(tree[1])
    if kind in ("and", "or"):
        parts = [resource_reads(tree[1]), resource_reads(tree[2])]
    elif kind == "cmp":
        parts = [resource_reads(tree[2]), resource_reads(tree[3])]
    else:
        return None
    return None if None in parts else frozenset().union(*parts)


def compile_python(tree) -> Callable[[Actor, Resource], bool]:
    """``evaluate`` as one closure per node, built once per policy: what a decision runs."""
    fn = _closure(tree)
    return lambda actor, resource: bool(fn(actor, resource))
