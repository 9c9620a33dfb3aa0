"""What governance decides with, and its answer: who asks (Actor), about what (Resource), and the decision
(Decision). Below the expression language, which reads them; re-exported by ``contracts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

ACTIONS = ("read", "read_sensitive", "write", "delete", "manage")
RESOURCE_KINDS = ("entity", "field", "schema", "lineage", "domain", "governance")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")  # in increasing sensitivity
SENSITIVE_CLASSIFICATIONS = frozenset({"confidential", "restricted"})
_RANKS = {c: i for i, c in enumerate(CLASSIFICATIONS)}


def rank(level: str) -> int:
    """How sensitive a classification is (an unknown one counts as internal)."""
    return _RANKS.get(level, 1)


def most_sensitive(a: str, b: str) -> str:
    return a if rank(a) >= rank(b) else b


MASKS = ("redact", "partial", "hash", "null")


@dataclass(frozen=True)
class Actor:
    """The caller, resolved once per request: its groups and roles come from one query."""

    username: str = ""
    user_id: int | None = None
    authenticated: bool = False
    superuser: bool = False
    staff: bool = False
    groups: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    @cached_property
    def principals(self) -> frozenset[str]:
        """How catalog owners name people and teams: ``user:<name>``, ``group:<name>``, ``role:<name>``."""
        found = {f"group:{g}" for g in self.groups} | {f"role:{r}" for r in self.roles}
        if self.username:
            found.add(f"user:{self.username}")
        return frozenset(found)

    @property
    def label(self) -> str:
        return f"user:{self.username}" if self.username else "anonymous"


ANONYMOUS = Actor()


@dataclass(frozen=True)
class Resource:
    """What is asked about. An entity's attributes carry over to its fields (a field is ``urn#path``)."""

    kind: str
    urn: str = ""
    type: str = ""
    domain: str = ""
    source: str = ""
    classification: str = "internal"
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    field: str = ""
    pii: tuple[str, ...] = ()
    subject: str = ""

    @property
    def label(self) -> str:
        if self.kind == "field":
            return f"{self.urn}#{self.field}"
        return self.urn or self.subject or self.domain or self.kind

    def as_dict(self) -> dict:
        out = {"kind": self.kind}
        for name in ("urn", "type", "domain", "source", "field", "subject"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["classification"] = self.classification
        if self.tags:
            out["tags"] = list(self.tags)
        if self.owners:
            out["owners"] = list(self.owners)
        if self.pii:
            out["pii"] = list(self.pii)
        return out


@dataclass(frozen=True)
class Matched:
    policy: str
    effect: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    reason: str  # superuser, allowed_by_policy, denied_by_policy, restricted_by_default, default_open, ...
    message: str
    matched: tuple[Matched, ...] = field(default_factory=tuple)
    mask: str | None = None  # what a denied read_sensitive hides a value with

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "action": self.action,
            "reason": self.reason,
            "message": self.message,
            "policies": [{"name": m.policy, "effect": m.effect} for m in self.matched],
            **({"mask": self.mask} if self.mask else {}),
        }
