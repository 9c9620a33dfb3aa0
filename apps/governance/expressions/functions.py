"""The one table of the condition language's functions: for each, its arity and argument check, what it
reads of a resource, its Python closure (one decision) and its SQL over an entity row (which entities a
caller may list or find). The parser checks calls against it; both compilers build from it; a test holds
the two to the same answers (apps/governance/tests/test_decision_shapes.py)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..decisions import CLASSIFICATIONS, Actor, Resource, rank
from .sqlparts import Sql, join, like_pattern

OWNS = "owns"  # not an attribute: whether the actor owns the resource (isOwner, the "owner" actor spec)
PII_CATEGORIES = (
    "email",
    "phone",
    "person_name",
    "postal_address",
    "date_of_birth",
    "national_id",
    "credit_card",
    "iban",
    "ip_address",
    "passport",
    "tax_id",
    "bank_account",
    "gender",
    "ethnicity",
    "health",
    "geolocation",
    "username",
    "password",
    "device_id",
)

Check = Callable[[list[Any]], str | None]
Closure = Callable[[Actor, Resource], Any]


@dataclass(frozen=True)
class Function:
    min_args: int
    max_args: int | None
    doc: str
    check: Check | None
    reads: frozenset[str]  # the resource attributes its value depends on (OWNS: ownership)
    python: Callable[[tuple], Closure]  # its arguments → a closure over (actor, resource)
    # its arguments and the actor → SQL over an entity row, or None: decided by the actor alone (Python)
    sql: Callable[[tuple, Actor], Sql | bool] | None = None


def _strings(args):
    return None if all(isinstance(a, str) and a for a in args) else "arguments must be non-empty strings"


def _levels(args):
    bad = [a for a in args if a not in CLASSIFICATIONS]
    return f"unknown classification {bad[0]!r} (known: {', '.join(CLASSIFICATIONS)})" if bad else None


def _categories(args):
    bad = [a for a in args if a not in PII_CATEGORIES]
    return f"unknown PII category {bad[0]!r} (known: {', '.join(PII_CATEGORIES)})" if bad else None


def _patterns(args: tuple):
    return [re.compile(fnmatch.translate(p)).match for p in args]


def _owner_sql(args: tuple, actor: Actor) -> Sql | bool:
    if not actor.principals:
        return False
    return Sql(
        "EXISTS (SELECT 1 FROM dictamesh_catalog_owner o WHERE o.entity_id = {e}.id AND o.principal = ANY(%s))",
        (sorted(actor.principals),),
    )


def _all_tags_sql(args: tuple, actor: Actor) -> Sql:
    parts = [
        Sql("EXISTS (SELECT 1 FROM unnest({e}.tags) t WHERE t LIKE %s)", (like_pattern(p),)) for p in args
    ]
    return join("AND", parts)


def _at_least_sql(args: tuple, actor: Actor) -> Sql:
    levels = [c for c in CLASSIFICATIONS if rank(c) >= rank(args[0])]
    if rank(args[0]) <= 1:  # an unknown level ranks as internal in Python: so here
        return Sql("NOT ({e}.classification = ANY(%s))", ([c for c in CLASSIFICATIONS if c not in levels],))
    return Sql("{e}.classification = ANY(%s)", (levels,))


def _pii_sql(args: tuple, actor: Actor) -> Sql:
    if args:
        return Sql("{e}.pii_categories && %s::varchar[]", (list(args),))
    return Sql("cardinality({e}.pii_categories) > 0")


def _any_of(column: str):
    return lambda args, actor: Sql(f"{column} = ANY(%s)", (list(args),))


def _like_any(column: str):
    return lambda args, actor: Sql(f"{column} LIKE ANY(%s)", ([like_pattern(p) for p in args],))


def _named(table: str, column: str):
    return lambda args, actor: Sql(
        f"{{e}}.{column} IN (SELECT x.id FROM {table} x WHERE x.name = ANY(%s))",  # noqa: S608 - constants
        (list(args),),
    )


def _matching(get: Callable[[Resource], Any], *, every: bool = False, when=None):
    """A closure over glob patterns: whether ``get(resource)`` (a string, or a list of them) matches."""

    def build(args):
        patterns = _patterns(args)
        if every:
            return lambda a, r: all(any(m(t) for t in get(r)) for m in patterns)
        if when is None:
            return lambda a, r: any(m(t) for t in get(r) for m in patterns)
        return lambda a, r: when(r) and any(m(get(r)) for m in patterns)

    return build


def _in(get: Callable[[Actor, Resource], Any]):
    def build(args):
        wanted = frozenset(args)
        return lambda a, r: get(a, r) in wanted

    return build


def _meets(get: Callable[[Actor], frozenset]):
    def build(args):
        wanted = frozenset(args)
        return lambda a, r: not wanted.isdisjoint(get(a))

    return build


def _floor(args):
    floor = rank(args[0])
    return lambda a, r: rank(r.classification) >= floor


def _pii(args):
    wanted = frozenset(args)
    return (lambda a, r: not wanted.isdisjoint(r.pii)) if args else (lambda a, r: bool(r.pii))


_NOTHING: frozenset[str] = frozenset()
F = Function
FUNCTIONS: dict[str, Function] = {
    "isOwner": F(0, 0, "the actor (or one of its groups or roles) owns the resource", None, frozenset({OWNS}),
                 lambda args: lambda a, r: bool(a.principals.intersection(r.owners)), _owner_sql),
    "matchAnyTag": F(1, None, "a tag of the resource matches one of the patterns (* and ?)", _strings,
                     frozenset({"tags"}), _matching(lambda r: r.tags),
                     lambda args, actor: Sql("EXISTS (SELECT 1 FROM unnest({e}.tags) t WHERE t LIKE ANY(%s))",
                                             ([like_pattern(p) for p in args],))),
    "matchAllTags": F(1, None, "every pattern matches a tag of the resource", _strings, frozenset({"tags"}),
                      _matching(lambda r: r.tags, every=True), _all_tags_sql),
    "hasDomain": F(1, None, "the resource is in one of these domains", _strings, frozenset({"domain"}),
                   _in(lambda a, r: r.domain), _named("dictamesh_catalog_domain", "domain_id")),
    "hasSource": F(1, None, "the resource comes from one of these source systems", _strings,
                   frozenset({"source"}), _in(lambda a, r: r.source), _named("dictamesh_catalog_source", "source_id")),
    "hasType": F(1, None, "the resource's entity type is one of these", _strings, frozenset({"type"}),
                 _in(lambda a, r: r.type), _any_of("{e}.entity_type")),
    "matchUrn": F(1, None, "the resource's URN matches one of the patterns", _strings, frozenset({"urn"}),
                  _matching(lambda r: r.urn, when=lambda r: bool(r.urn)), _like_any("{e}.urn")),
    "hasClassification": F(1, None, "the resource is classified as one of these levels", _levels,
                           frozenset({"classification"}), _in(lambda a, r: r.classification),
                           _any_of("{e}.classification")),
    "classificationAtLeast": F(1, 1, "the resource is classified at this level or above", _levels,
                               frozenset({"classification"}), _floor, _at_least_sql),
    "hasPii": F(0, None, "the resource holds PII (of one of these categories, if named)", _categories,
                frozenset({"pii"}), _pii, _pii_sql),
    "matchField": F(1, None, "the resource is a field whose path matches a pattern", _strings,
                    frozenset({"kind", "field"}), _matching(lambda r: r.field, when=lambda r: r.kind == "field")),
    "matchSubject": F(1, None, "the resource is a schema subject matching a pattern", _strings,
                      frozenset({"subject"}), _matching(lambda r: r.subject, when=lambda r: bool(r.subject)),
                      lambda args, actor: Sql("({e}.schema_subject <> '' AND {e}.schema_subject LIKE ANY(%s))",
                                              ([like_pattern(p) for p in args],))),
    "inGroup": F(1, None, "the actor is in one of these Django groups", _strings, _NOTHING, _meets(lambda a: a.groups)),
    "hasRole": F(1, None, "the actor holds one of these roles", _strings, _NOTHING, _meets(lambda a: a.roles)),
    "isUser": F(1, None, "the actor is one of these users", _strings, _NOTHING, _in(lambda a, r: a.username)),
    "isAuthenticated": F(0, 0, "the actor is authenticated (not anonymous)", None, _NOTHING,
                         lambda args: lambda a, r: a.authenticated),
}  # fmt: skip
