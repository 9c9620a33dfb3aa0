"""The decision point: compiled policies (per process, reloaded when their version moves) and ``decide``.

Order: superusers are allowed; else a matching deny wins; else a matching allow; else the default
(DICTAMESH_GOVERNANCE_DEFAULT): ``open`` allows reads and token writes except on restricted data, denies
read_sensitive (values are masked) and leaves ``manage`` and the governance resources to staff;
``closed`` denies all that no policy allows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings

from . import expressions
from .contracts import Actor, Decision, Matched, Resource
from .expressions import Sql

logger = logging.getLogger("dictamesh.governance")
_BROKEN = ("lit", None)  # a stored condition that no longer compiles


@dataclass(frozen=True)
class CompiledPolicy:
    name: str
    effect: str
    actors: frozenset[str]
    actions: frozenset[str]
    resources: frozenset[str]
    tree: tuple
    mask: str
    check: object = None  # the condition as a closure (expressions.compile_python)
    reads: frozenset[str] | None = frozenset()  # what of a resource the condition reads (None: unknown)

    def applies(self, action: str, kind: str) -> bool:
        return (action in self.actions or "*" in self.actions) and (
            kind in self.resources or "*" in self.resources
        )

    def actor_matches(self, actor: Actor, resource: Resource) -> bool:
        return any(_spec_matches(spec, actor, resource.owners) for spec in self.actors)

    def matches(self, actor: Actor, resource: Resource) -> bool:
        if not self.actor_matches(actor, resource):
            return False
        return self.holds(actor, resource)

    def holds(self, actor: Actor, resource: Resource) -> bool:
        """The condition alone (the actor already matched)."""
        if self.tree is _BROKEN:  # fail safe: a broken deny denies, a broken allow allows nothing
            return self.effect == "deny"
        return self.check(actor, resource)

    def entity_sql(self, actor: Actor) -> Sql | bool:
        """Which entity rows this policy matches for ``actor`` (a constant when it needs no row)."""
        anyone = any(_spec_matches(spec, actor, ()) for spec in self.actors if spec != "owner")
        if not anyone and "owner" not in self.actors:
            return False
        if self.tree is _BROKEN:
            return self.effect == "deny"
        condition = expressions.to_sql(self.tree, actor=actor)
        if anyone:
            return condition
        owns = expressions.to_sql(("call", "isOwner", ()), actor=actor)
        if owns is expressions.FALSE or condition is expressions.FALSE:
            return False
        return owns if condition is expressions.TRUE else expressions.join("AND", [owns, condition])


def _spec_matches(spec: str, actor: Actor, owners) -> bool:
    if spec == "*":
        return True
    if spec == "authenticated":
        return actor.authenticated
    if spec == "anonymous":
        return not actor.authenticated
    if spec == "owner":
        return bool(actor.principals & set(owners))
    return spec in actor.principals


def remember_bounded(store: dict, key, value, limit: int = 50_000) -> None:
    """``store[key] = value`` in one of a policy set's memos: shared by a web worker's threads (a dict's get
    and set are atomic), bounded (a full one starts over), gone with its set when the version moves."""
    if len(store) >= limit:
        store.clear()
    store[key] = value


@dataclass(frozen=True)
class PolicySet:
    version: int
    policies: tuple[CompiledPolicy, ...]
    _index: dict = field(default_factory=dict, compare=False, repr=False)
    _shaped: dict = field(default_factory=dict, compare=False, repr=False)
    _read_sql: dict = field(default_factory=dict, compare=False, repr=False)
    _decided: dict = field(default_factory=dict, compare=False, repr=False)
    plans: dict = field(default_factory=dict, compare=False, repr=False)  # Access._mask_plan's

    def decided(self, actor: Actor, key: tuple) -> Decision | None:
        """A decision this set took before for ``actor`` on a resource of this key (Access.decide's: the
        resource itself, or what the candidate policies read of it): decisions read nothing else."""
        return self._decided.get((actor, key))

    def remember(self, actor: Actor, key: tuple, decision: Decision) -> None:
        remember_bounded(self._decided, (actor, key), decision)

    def relevant(self, action: str, kind: str) -> tuple[CompiledPolicy, ...]:
        """The policies that name this action and resource kind (or *), found once per set."""
        key = (action, kind)
        found = self._index.get(key)
        if found is None:
            found = tuple(p for p in self.policies if p.applies(action, kind))
            self._index[key] = found
        return found

    def for_actor(self, actor: Actor, action: str, kind: str) -> tuple[tuple[CompiledPolicy, bool], ...]:
        """The relevant policies whose actors may match ``actor``: (policy, only as an owner). Made once per
        request and (action, kind) by the caller's Access; decisions then check owners and conditions."""
        out = []
        for policy in self.relevant(action, kind):
            if any(_spec_matches(spec, actor, ()) for spec in policy.actors if spec != "owner"):
                out.append((policy, False))
            elif "owner" in policy.actors:
                out.append((policy, True))
        return tuple(out)

    def shaped(self, actor: Actor, action: str, kind: str) -> tuple[tuple, tuple[str, ...] | None]:
        """``(for_actor(...), shape(of them))``, found once per set for each caller (bounded: a set that has
        served many callers starts over)."""
        key = (actor, action, kind)
        found = self._shaped.get(key)
        if found is None:
            candidates = self.for_actor(actor, action, kind)
            found = (candidates, shape(candidates))
            remember_bounded(self._shaped, key, found)
        return found


def compile_policy(row) -> CompiledPolicy:
    try:
        tree = expressions.parse(row.condition)
    except expressions.ExpressionError as exc:
        logger.error("policy %s has a condition that does not compile: %s", row.name, exc.message)
        tree = _BROKEN
    return CompiledPolicy(
        name=row.name,
        effect=row.effect,
        actors=frozenset(row.actors),
        actions=frozenset(row.actions),
        resources=frozenset(row.resources),
        tree=tree,
        mask=row.mask,
        check=None if tree is _BROKEN else expressions.compile_python(tree),
        reads=frozenset() if tree is _BROKEN else expressions.resource_reads(tree),
    )


_lock = threading.Lock()
_current: PolicySet | None = None


def policy_set(version: int) -> PolicySet:
    """The compiled enabled policies at ``version`` (this process's copy, reloaded when it is older)."""
    global _current
    current = _current
    if current is not None and current.version == version:
        return current
    from .models import Policy

    with _lock:
        if _current is not None and _current.version == version:
            return _current
        rows = Policy.objects.filter(enabled=True).order_by("name")
        _current = PolicySet(version=version, policies=tuple(compile_policy(r) for r in rows))
        return _current


# ------------------------------------------------------------------------------------------------ decide
MESSAGES = {
    "superuser": "Superusers are allowed everything.",
    "restricted_by_default": "Restricted data is denied unless a policy allows it.",
    "sensitive_by_default": "Sensitive values are masked unless a policy allows read_sensitive.",
    "staff_by_default": "Only staff may do this unless a policy allows it.",
    "anonymous_by_default": "Anonymous callers may only read.",
    "allowed_by_default": "No policy decides: allowed by default (open).",
    "closed_by_default": "No policy allows this (closed by default).",
}


def _default(actor: Actor, action: str, resource: Resource) -> tuple[bool, str]:
    if settings.DICTAMESH_GOVERNANCE_DEFAULT == "closed":
        return False, "closed_by_default"
    if action == "manage" or resource.kind == "governance":
        return actor.staff, "staff_by_default"
    if resource.classification == "restricted":
        return False, "restricted_by_default"
    if action == "read_sensitive":
        return False, "sensitive_by_default"
    if action in ("write", "delete") and not actor.authenticated:
        return False, "anonymous_by_default"
    return True, "allowed_by_default"


def shape(candidates: tuple[tuple[CompiledPolicy, bool], ...]) -> tuple[str, ...] | None:
    """What of a resource ``decide`` reads with these candidates (an actor's, for one action and resource
    kind), besides its kind: resources alike in these answer alike, so a caller may decide once for them.
    ``expressions.OWNS`` stands for whether the actor owns it. None when a condition's reads are unknown."""
    names = {"classification"}  # the default decision reads it (restricted data)
    for policy, owner_only in candidates:
        if policy.reads is None:
            return None
        names |= policy.reads
        if owner_only:
            names.add(expressions.OWNS)
    return tuple(sorted(names))


def shape_key(actor: Actor, names: tuple[str, ...], resource: Resource) -> tuple:
    """The values of ``names`` (``shape``) for ``resource``."""
    return tuple(
        not actor.principals.isdisjoint(resource.owners)
        if name == expressions.OWNS
        else getattr(resource, name)
        for name in names
    )


def decide(
    policies: PolicySet,
    actor: Actor,
    action: str,
    resource: Resource,
    candidates: tuple[tuple[CompiledPolicy, bool], ...] | None = None,
) -> Decision:
    """``candidates``: ``policies.for_actor(actor, action, resource.kind)``, when the caller keeps it."""
    if actor.superuser:
        return Decision(True, action, "superuser", MESSAGES["superuser"])
    if candidates is None:
        candidates = policies.for_actor(actor, action, resource.kind)
    matched = [
        p
        for p, owner_only in candidates
        if (not owner_only or not actor.principals.isdisjoint(resource.owners)) and p.holds(actor, resource)
    ]
    denies = [p for p in matched if p.effect == "deny"]
    found = tuple(Matched(p.name, p.effect) for p in matched)
    if denies:
        names = ", ".join(p.name for p in denies)
        mask = next((p.mask for p in denies if p.mask), None)
        return Decision(False, action, "denied_by_policy", f"Denied by policy {names}.", found, mask)
    if matched:
        names = ", ".join(p.name for p in matched)
        return Decision(True, action, "allowed_by_policy", f"Allowed by policy {names}.", found)
    allowed, reason = _default(actor, action, resource)
    return Decision(allowed, action, reason, MESSAGES[reason])


def _cheap_first(parts: list[Sql]) -> list[Sql]:
    return sorted(parts, key=lambda part: "SELECT" in part.text)  # stable: the given order otherwise


def entity_read_sql(policies: PolicySet, actor: Actor) -> Sql:
    """The entity rows ``actor`` may read, as SQL over alias ``e``: what ``decide`` answers row by row. Made
    once per set for each caller (bounded as ``shaped`` is)."""
    key = (actor, settings.DICTAMESH_GOVERNANCE_DEFAULT)
    found = policies._read_sql.get(key)
    if found is None:
        found = _entity_read_sql(policies, actor)
        remember_bounded(policies._read_sql, key, found)
    return found


def _entity_read_sql(policies: PolicySet, actor: Actor) -> Sql:
    if actor.superuser:
        return expressions.TRUE
    denies: list[Sql] = []
    allows: list[Sql] = []
    for policy in policies.relevant("read", "entity"):
        part = policy.entity_sql(actor)
        if part is False:
            continue
        if part is True:
            part = expressions.TRUE
        (denies if policy.effect == "deny" else allows).append(part)
    if settings.DICTAMESH_GOVERNANCE_DEFAULT == "closed":
        default = expressions.FALSE
    else:
        default = Sql("{e}.classification <> 'restricted'")
    # PostgreSQL evaluates an OR's arms in the order written: the ones without a subquery go first, so a row
    # that a column decides never runs the EXISTS probes of the others
    visible = expressions.join("OR", _cheap_first([default, *allows]))
    if denies:
        hidden = expressions.join("OR", _cheap_first(denies))
        return Sql(f"(NOT {hidden.text} AND {visible.text})", hidden.params + visible.params)
    return visible
