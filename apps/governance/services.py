"""Writes of governance: policies and roles (each bumps the policy version, in the same transaction, and is
an event on ``dictamesh.governance.policy.v1``), and field classifications."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from dictamesh.errors import Conflict, NotFound, ValidationError, unknown_fields
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events, expressions
from .contracts import ACTIONS, CLASSIFICATIONS, MASKS, RESOURCE_KINDS
from .models import Effect, Policy, Role

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
ACTOR_SPEC = re.compile(r"^(\*|authenticated|anonymous|owner|(user|group|role):[^\s:][^\s]{0,190})$")
POLICY_FIELDS = (
    "name",
    "description",
    "effect",
    "actors",
    "actions",
    "resources",
    "condition",
    "mask",
    "enabled",
)

logger = logging.getLogger("dictamesh.governance")


def policy_state(policy: Policy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "effect": policy.effect,
        "actors": list(policy.actors),
        "actions": list(policy.actions),
        "resources": list(policy.resources),
        "condition": policy.condition,
        "mask": policy.mask or None,
        "enabled": policy.enabled,
        "version": policy.version,
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
        "updated_by": policy.updated_by,
    }


def _strings(
    data: dict, key: str, allowed: tuple[str, ...] | None, errors: dict, *, pattern=None
) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors[key] = "a non-empty list of strings"
        return []
    if len(value) > 100:
        errors[key] = "at most 100 items"
        return []
    bad = [
        v for v in value if (allowed is not None and v not in allowed) or (pattern and not pattern.match(v))
    ]
    if bad:
        known = (
            f"one of {', '.join(allowed)}"
            if allowed
            else "*, authenticated, anonymous, owner, user:<name>, group:<name>, role:<name>"
        )
        errors[key] = f"unknown {bad[0]!r}: each must be {known}"
    return list(dict.fromkeys(value))


def policy_clean(data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The fields of a policy from client input, checked; every problem is reported at once."""
    if not isinstance(data, dict):
        raise ValidationError("A policy is a JSON object.", fields={"body": "object"})
    if unknown := unknown_fields(data, POLICY_FIELDS):
        raise ValidationError("The policy has unknown fields.", fields=unknown)
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    required = () if partial else ("name", "effect", "actors", "actions", "resources")
    for key in required:
        if key not in data:
            errors[key] = "required"
    if "name" in data:
        if not isinstance(data["name"], str) or not SLUG.match(data["name"]):
            errors["name"] = "a slug: lower-case letters, digits, - and _, at most 100"
        else:
            out["name"] = data["name"]
    if "description" in data:
        if not isinstance(data["description"], str) or len(data["description"]) > 5000:
            errors["description"] = "a string of at most 5,000 characters"
        else:
            out["description"] = data["description"]
    if "effect" in data:
        if data["effect"] not in Effect.values:
            errors["effect"] = "allow or deny"
        else:
            out["effect"] = data["effect"]
    if "actors" in data:
        out["actors"] = _strings(data, "actors", None, errors, pattern=ACTOR_SPEC)
    if "actions" in data:
        out["actions"] = _strings(data, "actions", (*ACTIONS, "*"), errors)
    if "resources" in data:
        out["resources"] = _strings(data, "resources", (*RESOURCE_KINDS, "*"), errors)
    if "condition" in data:
        condition = data["condition"] if data["condition"] is not None else ""
        if not isinstance(condition, str):
            errors["condition"] = "a string"
        else:
            try:
                expressions.parse(condition)
                out["condition"] = condition.strip()
            except expressions.ExpressionError as exc:
                errors["condition"] = exc.fields["condition"]
    if "mask" in data:
        mask = data["mask"] or ""
        if mask and mask not in MASKS:
            errors["mask"] = f"one of {', '.join(MASKS)}"
        else:
            out["mask"] = mask
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            errors["enabled"] = "true or false"
        else:
            out["enabled"] = data["enabled"]
    if errors:
        raise ValidationError("The policy is invalid.", fields=errors)
    return out


def policy_version_bump() -> None:
    """A new version for the policy set. From a sequence, which a rollback does not rewind: a version a
    process compiled inside a transaction that rolled back is never given to another set of policies."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_governance_policy_state (id, version)"
            " VALUES (1, nextval('dictamesh_governance_policy_version_seq'))"
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version"
        )
    from .access import VERSION_CACHE

    try:
        VERSION_CACHE.drop(["current"])  # every process reads the new version at its next request
    except Exception:  # noqa: BLE001 - Redis down: processes read the database while it is (access._version)
        logger.warning("could not broadcast the policy version", exc_info=True)


def _actor(actor: str | None) -> str:
    return actor or current_actor()


@transaction.atomic
def policy_create(*, data: Any, actor: str | None = None) -> Policy:
    fields = policy_clean(data)
    if Policy.objects.filter(name=fields["name"]).exists():
        raise Conflict(f"A policy named {fields['name']} exists.", fields={"name": "taken"})
    now = timezone.now()
    policy = Policy.objects.create(**fields, created_at=now, updated_at=now, updated_by=_actor(actor))
    policy_version_bump()
    state = policy_state(policy)
    publish(type=events.POLICY_CREATED, subject=f"policy:{policy.name}", data=state, after=state, actor=actor)
    return policy


@transaction.atomic
def policy_update(*, name: str, changes: Any, actor: str | None = None) -> Policy:
    fields = policy_clean(changes, partial=True)
    policy = Policy.objects.select_for_update().filter(name=name).first()
    if policy is None:
        raise NotFound(f"No policy {name}.")
    before = policy_state(policy)
    if "name" in fields and fields["name"] != name and Policy.objects.filter(name=fields["name"]).exists():
        raise Conflict(f"A policy named {fields['name']} exists.", fields={"name": "taken"})
    changed = [k for k, v in fields.items() if getattr(policy, k) != v]
    if not changed:
        return policy
    for key in changed:
        setattr(policy, key, fields[key])
    policy.version += 1
    policy.updated_at = timezone.now()
    policy.updated_by = _actor(actor)
    policy.save()
    policy_version_bump()
    after = policy_state(policy)
    publish(
        type=events.POLICY_UPDATED,
        subject=f"policy:{name}",
        data={**after, "changed_fields": changed},
        before=before,
        after=after,
        actor=actor,
    )
    return policy


@transaction.atomic
def policy_delete(*, name: str, actor: str | None = None) -> None:
    policy = Policy.objects.select_for_update().filter(name=name).first()
    if policy is None:
        raise NotFound(f"No policy {name}.")
    before = policy_state(policy)
    policy.delete()
    policy_version_bump()
    publish(type=events.POLICY_DELETED, subject=f"policy:{name}", data=before, before=before, actor=actor)


# ------------------------------------------------------------------------------------------------ roles
def role_state(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description,
        "users": sorted(u.get_username() for u in role.users.all()),
        "groups": sorted(g.name for g in role.groups.all()),
    }


def _members(data: dict, errors: dict) -> tuple[list | None, list | None]:
    users = groups = None
    User = get_user_model()
    if "users" in data:
        names = data["users"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            errors["users"] = "a list of user names"
        else:
            users = list(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names}))
            missing = sorted(set(names) - {u.get_username() for u in users})
            if missing:
                errors["users"] = f"unknown user {missing[0]!r}"
    if "groups" in data:
        names = data["groups"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            errors["groups"] = "a list of group names"
        else:
            groups = list(Group.objects.filter(name__in=names))
            missing = sorted(set(names) - {g.name for g in groups})
            if missing:
                errors["groups"] = f"unknown group {missing[0]!r}"
    return users, groups


@transaction.atomic
def role_save(*, name: str, data: Any, create: bool, actor: str | None = None) -> Role:
    """Create a role, or replace its description and members (the ones named)."""
    policy_version_bump()  # roles are inputs of every decision: the actor caches move on
    if not isinstance(data, dict):
        raise ValidationError("A role is a JSON object.", fields={"body": "object"})
    errors: dict[str, str] = unknown_fields(data, ("name", "description", "users", "groups"))
    if not isinstance(name, str) or not SLUG.match(name):
        errors["name"] = "a slug: lower-case letters, digits, - and _, at most 100"
    description = data.get("description", "")
    if not isinstance(description, str):
        errors["description"] = "a string"
    users, groups = _members(data, errors)
    if errors:
        raise ValidationError("The role is invalid.", fields=errors)
    role = Role.objects.select_for_update().filter(name=name).first()
    if create and role is not None:
        raise Conflict(f"A role named {name} exists.", fields={"name": "taken"})
    if not create and role is None:
        raise NotFound(f"No role {name}.")
    before = role_state(role) if role else None
    if role is None:
        role = Role.objects.create(name=name, description=description)
    elif "description" in data:
        role.description = description
        role.save(update_fields=["description"])
    if users is not None:
        role.users.set(users)
    if groups is not None:
        role.groups.set(groups)
    after = role_state(role)
    publish(
        type=events.ROLE_CHANGED,
        topic=events.POLICY_TOPIC.name,
        subject=f"role:{name}",
        data=after,
        before=before,
        after=after,
        actor=actor,
    )
    return role


@transaction.atomic
def role_recorded(*, role: Role, actor: str | None = None) -> None:
    """An event for a role the admin saved (its members change in the admin's own transaction)."""
    policy_version_bump()  # roles are inputs of every decision: the actor caches move on
    after = role_state(role)
    publish(
        type=events.ROLE_CHANGED,
        topic=events.POLICY_TOPIC.name,
        subject=f"role:{role.name}",
        data=after,
        after=after,
        actor=actor,
    )


@transaction.atomic
def role_delete(*, name: str, actor: str | None = None) -> None:
    role = Role.objects.filter(name=name).first()
    policy_version_bump()  # roles are inputs of every decision: the actor caches move on
    if role is None:
        raise NotFound(f"No role {name}.")
    before = role_state(role)
    role.delete()
    publish(
        type=events.ROLE_CHANGED,
        topic=events.POLICY_TOPIC.name,
        subject=f"role:{name}",
        data={"name": name, "deleted": True},
        before=before,
        actor=actor,
    )


__all__ = ["CLASSIFICATIONS", "policy_create", "policy_delete", "policy_update", "role_delete", "role_save"]
