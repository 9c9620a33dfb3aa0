"""One caller's access for one request (or command): its actor, the policy set, decisions, masking, audit.

``Access.of(request)`` is made once per request. Its first decision reads, in one query, the policy
version and the caller's groups and roles; the process's compiled policies are reloaded when the version
moved, so a policy change is in force at the next request in every process. Decisions are memoized per
request. Sensitive reads and denied decisions are gathered and written as (at most) two audit events when
the request ends (``flush``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cachetools import LRUCache
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from dictamesh.cache import TwoLevelCache
from dictamesh.errors import NotFound, PermissionDenied

from . import engine, masking
from .contracts import ANONYMOUS, SENSITIVE_CLASSIFICATIONS, Actor, Decision, Resource, most_sensitive

_ATTRIBUTE = "_dictamesh_access"


@dataclass(frozen=True)
class FieldInfo:
    classification: str
    categories: tuple[str, ...]

    @property
    def sensitive(self) -> bool:
        return bool(self.categories) or self.classification in SENSITIVE_CLASSIFICATIONS


def _members_query() -> str:
    groups = get_user_model().groups.through._meta.db_table
    return (
        f"SELECT ARRAY(SELECT g.name FROM {groups} ug JOIN auth_group g ON g.id = ug.group_id WHERE ug.user_id = %s),"  # noqa: S608 - table names
        " ARRAY(SELECT r.name FROM dictamesh_governance_role r WHERE EXISTS (SELECT 1 FROM"
        " dictamesh_governance_role_user ru WHERE ru.role_id = r.id AND ru.user_id = %s) OR EXISTS (SELECT 1"
        f" FROM dictamesh_governance_role_group rg JOIN {groups} ug ON ug.group_id = rg.group_id"
        " WHERE rg.role_id = r.id AND ug.user_id = %s))"
    )


def _version_from_database() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM dictamesh_governance_policy_state WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


# The policy version, in every process: read from the database only when it moved. Every bump drops it in
# every process (services.policy_version_bump: now, and again when its transaction commits), so a change
# is in force at the next request; should Redis fail, each request reads the database as before.
VERSION_CACHE = TwoLevelCache("governance.version", l1_size=lambda: 4, l1_ttl=lambda: 5)
# A user's groups and roles at a policy version: every change to them moves the version (the governance
# app's signal handlers and role services), so an entry is never stale, and one query fills it.
_MEMBERS: LRUCache = LRUCache(maxsize=20_000)
_MEMBERS_LOCK = threading.Lock()


def _version() -> int:
    try:
        found = VERSION_CACHE.get("current", _version_from_database, ttl=3600)
    except Exception:  # noqa: BLE001 - Redis down: the database answers
        found = _version_from_database()
    return found or 0


def _members(user_id: int, version: int) -> tuple[frozenset[str], frozenset[str]]:
    key = (user_id, version)
    with _MEMBERS_LOCK:
        found = _MEMBERS.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(_members_query(), [user_id, user_id, user_id])
            groups, roles = cursor.fetchone()
        found = (frozenset(groups), frozenset(roles))
        with _MEMBERS_LOCK:
            _MEMBERS[key] = found
    return found


_ACTORS: LRUCache = LRUCache(maxsize=20_000)


def _user_actor(user, version: int) -> Actor:
    """The actor of a signed-in user at a policy version: made once per process for the same user as it is
    (its name and flags come from the request's user; its groups and roles move the version)."""
    key = (user.pk, version, user.get_username(), bool(user.is_superuser), bool(user.is_staff))
    with _MEMBERS_LOCK:
        found = _ACTORS.get(key)
    if found is None:
        groups, roles = _members(user.pk, version)
        found = Actor(
            username=key[2], user_id=user.pk, authenticated=True, superuser=key[3], staff=key[4],
            groups=groups, roles=roles,
        )  # fmt: skip
        with _MEMBERS_LOCK:
            _ACTORS[key] = found
    return found


@dataclass
class _Audit:
    sensitive: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # urn -> path -> categories
    denied: list[dict] = field(default_factory=list)
    denied_count: int = 0


_MASKED = Decision(False, "read_sensitive", "masked", "Masked on read.")


@lru_cache(maxsize=256)
def _masker(mask: str, categories: tuple[str, ...]):
    return lambda value: masking.mask_value(value, mask, categories)


@lru_cache(maxsize=4096)
def _segments(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


class Access:
    def __init__(self, user=None, *, actor: Actor | None = None, context: dict | None = None):
        self._user = user
        self._actor = actor
        self._policies: engine.PolicySet | None = None
        self._decisions: dict[tuple[str, Resource], Decision] = {}
        self._candidates: dict[tuple[str, str], tuple] = {}  # (action, kind) -> (candidates, shape)
        self._alike: dict[tuple, Decision] = {}  # (action, kind, shape key) -> decision
        self._noted: set[tuple[str, Resource]] = set()  # denials noted for the audit
        self._entity_sql = None
        self.context = context or {}
        self.audit = _Audit()

    # -- who ----------------------------------------------------------------------------------------
    @classmethod
    def of(cls, request) -> Access:
        access = getattr(request, _ATTRIBUTE, None)
        if access is None:
            context = {"path": request.path, "method": request.method}
            access = cls(getattr(request, "user", None), context=context)
            setattr(request, _ATTRIBUTE, access)
        return access

    def _load(self) -> None:
        user = self._user
        if self._actor is not None:
            version = _version()
        elif user is None or not user.is_authenticated:
            self._actor, version = ANONYMOUS, _version()
        else:
            version = _version()
            self._actor = _user_actor(user, version)
        self._policies = engine.policy_set(version or 0)

    @property
    def actor(self) -> Actor:
        if self._policies is None:
            self._load()
        return self._actor  # type: ignore[return-value]

    @property
    def policies(self) -> engine.PolicySet:
        if self._policies is None:
            self._load()
        return self._policies  # type: ignore[return-value]

    # -- decisions ----------------------------------------------------------------------------------
    def decide(self, action: str, resource: Resource, *, record: bool = True) -> Decision:
        """The decision on ``resource``; with ``record``, a denial is noted for the audit (once per resource)."""
        found = self._candidates.get((action, resource.kind))
        if found is None:
            found = self._candidates[(action, resource.kind)] = self.policies.shaped(
                self.actor, action, resource.kind
            )
        candidates, names = found
        if names is None:  # a condition reads what cannot be told: each resource is decided on its own
            key: tuple = (action, resource)
            decision = self._decisions.get(key)
        else:  # resources alike in what the policies read are decided once
            key = (action, resource.kind, engine.shape_key(self.actor, names, resource))
            decision = self._alike.get(key)
        if decision is None:
            decision = self.policies.decided(self.actor, key)  # this process's, at this policy version
            if decision is None:
                decision = engine.decide(self.policies, self.actor, action, resource, candidates)
                self.policies.remember(self.actor, key, decision)
            (self._decisions if names is None else self._alike)[key] = decision
        if record and not decision.allowed and (action, resource) not in self._noted:
            self._noted.add((action, resource))
            self._note_denied(decision, resource)
        return decision

    def can(self, action: str, resource: Resource) -> bool:
        return self.decide(action, resource).allowed

    def require(self, action: str, resource: Resource, *, hide: bool = False) -> Decision:
        """The decision, or an error: NotFound when ``hide`` (a read must not reveal that a thing exists)."""
        decision = self.decide(action, resource)
        if not decision.allowed:
            if hide:
                raise NotFound(f"No {resource.kind} {resource.label}.")
            raise PermissionDenied(
                f"You may not {action} {resource.kind} {resource.label}: {decision.message}"
            )
        return decision

    def entity_read_sql(self):
        """Which entity rows this caller may read (SQL over an entity row; see engine.entity_read_sql)."""
        if self._entity_sql is None:
            self._entity_sql = engine.entity_read_sql(self.policies, self.actor)
        return self._entity_sql

    # -- masking ------------------------------------------------------------------------------------
    def mask_fields(
        self, resource: Resource, data: Any, fields: dict[str, FieldInfo]
    ) -> tuple[Any, list[str]]:
        """``data`` (a copy when changed) with the sensitive ``fields`` this caller may not read masked, and
        the masked paths. Values read unmasked are noted for audit."""
        masked: list[str] = []
        masks: list[tuple[tuple[str, ...], Any]] = []
        for segments, path, categories, masker in self._mask_plan(resource, fields):
            if not masking.contains(data, segments):
                continue
            if masker is None:
                self.audit.sensitive.setdefault(resource.urn, {}).setdefault(path, set()).update(categories)
                continue
            masks.append((segments, masker))
            masked.append(path)
        out = masking.masked_copy_many(data, masks) if masks else data
        if masked:
            self._note_denied(_MASKED, resource, fields=masked)
        return out, masked

    def _mask_plan(self, resource: Resource, fields: dict[str, FieldInfo]) -> tuple:
        """For each sensitive field of ``resource``, in path order: (segments, path, categories, masker), the
        masker None when this caller may read_sensitive it. A pure function of the policy set, the actor,
        the resource and its fields, so made once per process for each of them, on the policy set. An entry
        keeps its fields dict alive, so the dict's id in the key is never another's."""
        key = (self.actor, resource, id(fields))
        found = self.policies.plans.get(key)
        if found is not None and found[0] is fields:
            return found[1]
        plan = []
        for path in sorted(fields):
            info = fields[path]
            if not info.sensitive:
                continue
            target = Resource(
                kind="field",
                urn=resource.urn,
                type=resource.type,
                domain=resource.domain,
                source=resource.source,
                classification=most_sensitive(resource.classification, info.classification),
                tags=resource.tags + tuple(f"PII.{c}" for c in info.categories),
                owners=resource.owners,
                field=path,
                pii=info.categories,
                subject=resource.subject,
            )
            decision = self.decide("read_sensitive", target, record=False)
            masker = None
            if not decision.allowed:
                masker = _masker(
                    decision.mask or masking.default_mask(info.categories), tuple(info.categories)
                )
            plan.append((_segments(path), path, info.categories, masker))
        made = tuple(plan)
        engine.remember_bounded(self.policies.plans, key, (fields, made))
        return made

    # -- audit --------------------------------------------------------------------------------------
    def _note_denied(
        self, decision: Decision, resource: Resource, *, fields: list[str] | None = None
    ) -> None:
        self.audit.denied_count += 1
        if len(self.audit.denied) < settings.DICTAMESH_AUDIT_MAX_ITEMS:
            item = {
                "action": decision.action,
                "resource": resource.label,
                "kind": resource.kind,
                "reason": decision.reason,
                "policies": [m.policy for m in decision.matched],
            }
            if fields:
                item["fields"] = fields
            self.audit.denied.append(item)

    def flush(self) -> None:
        """Write what this request read and was denied to the audit log (no-op when it was neither)."""
        if not self.audit.sensitive and not self.audit.denied_count:
            return
        from .audit import audit_write

        audit_write(actor=self.actor, audit=self.audit, context=self.context)
        self.audit = _Audit()
