"""Writes of governance: policies and roles (each bumps the policy version, in the same transaction, and is
an event on ``dictamesh.governance.policy.v1``), and field classifications."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from dictamesh.contracts import SLUG, SLUG_HINT
from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events
from .contracts import CLASSIFICATIONS, PolicyIn, RoleIn
from .models import Policy, Role

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
def policy_create(*, policy: PolicyIn, actor: str | None = None) -> Policy:
    fields = policy.sent()
    if Policy.objects.filter(name=fields["name"]).exists():
        raise Conflict(f"A policy named {fields['name']} exists.", fields={"name": "taken"})
    now = timezone.now()
    created = Policy.objects.create(**fields, created_at=now, updated_at=now, updated_by=_actor(actor))
    policy_version_bump()
    state = policy_state(created)
    publish(
        type=events.POLICY_CREATED, subject=f"policy:{created.name}", data=state, after=state, actor=actor
    )
    return created


@transaction.atomic
def policy_update(*, name: str, changes: PolicyIn, actor: str | None = None) -> Policy:
    fields = changes.sent()
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


def _members(role: RoleIn) -> tuple[list | None, list | None]:
    """The users and groups a role names, each of which must exist."""
    User = get_user_model()
    users = groups = None
    errors: dict[str, str] = {}
    if role.users is not None:
        users = list(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": role.users}))
        if missing := sorted(set(role.users) - {u.get_username() for u in users}):
            errors["users"] = f"unknown user {missing[0]!r}"
    if role.groups is not None:
        groups = list(Group.objects.filter(name__in=role.groups))
        if missing := sorted(set(role.groups) - {g.name for g in groups}):
            errors["groups"] = f"unknown group {missing[0]!r}"
    if errors:
        raise ValidationError("The role names members that do not exist.", fields=errors)
    return users, groups


@transaction.atomic
def role_save(*, name: str, role: RoleIn, create: bool, actor: str | None = None) -> Role:
    """Create a role, or replace its description and members (the ones named)."""
    policy_version_bump()  # roles are inputs of every decision: the actor caches move on
    if not SLUG.match(name):
        raise ValidationError("The role is invalid (name).", fields={"name": SLUG_HINT})
    users, groups = _members(role)
    row = Role.objects.select_for_update().filter(name=name).first()
    if create and row is not None:
        raise Conflict(f"A role named {name} exists.", fields={"name": "taken"})
    if not create and row is None:
        raise NotFound(f"No role {name}.")
    before = role_state(row) if row else None
    if row is None:
        row = Role.objects.create(name=name, description=role.description or "")
    elif role.description is not None:
        row.description = role.description
        row.save(update_fields=["description"])
    if users is not None:
        row.users.set(users)
    if groups is not None:
        row.groups.set(groups)
    after = role_state(row)
    publish(
        type=events.ROLE_CHANGED,
        topic=events.POLICY_TOPIC.name,
        subject=f"role:{name}",
        data=after,
        before=before,
        after=after,
        actor=actor,
    )
    return row


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
