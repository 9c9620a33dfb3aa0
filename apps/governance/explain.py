"""``GET /api/v1/governance/explain``: a decision with every policy that was weighed, and why it did or did
not apply — actor, action, resource kind and condition, each answered."""

from __future__ import annotations

from django.conf import settings

from dictamesh.errors import NotFound, ValidationError

from . import expressions
from .access import Access, FieldInfo
from .contracts import RESOURCE_KINDS, Decision, Resource


def _entity(urn: str) -> tuple[Resource, dict[str, FieldInfo]]:
    from apps.catalog.public import entity_ref

    from .selectors import field_infos

    ref = entity_ref(urn=urn)
    if ref is None:
        raise NotFound(f"No entity {urn}.")
    fields = field_infos(urns=[urn]).get(urn, {})
    resource = Resource(
        kind="entity",
        urn=ref.urn,
        type=ref.type,
        domain=ref.domain,
        source=ref.source,
        classification=ref.classification,
        tags=ref.tags,
        owners=ref.owners,
        pii=tuple(sorted({c for info in fields.values() for c in info.categories})),
    )
    return resource, fields


def resource_of(text: str) -> Resource:
    """A resource named as ``<urn>``, ``<urn>#<field path>``, ``domain:<name>``, ``schema:<subject>``,
    ``lineage:<urn>`` or ``governance``."""
    text = (text or "").strip()
    if not text or len(text) > 1000:
        raise ValidationError("Name a resource.", fields={"resource": "required, at most 1,000 characters"})
    if text == "governance":
        return Resource(kind="governance", urn="governance")
    kind, _, rest = text.partition(":")
    if kind == "domain" and rest:
        return Resource(kind="domain", domain=rest)
    if kind == "schema" and rest:
        return Resource(kind="schema", subject=rest)
    if kind == "lineage" and rest:
        return Resource(kind="lineage", urn=rest)
    if kind == "dm":
        urn, _, path = text.partition("#")
        entity, fields = _entity(urn)
        if not path:
            return entity
        info = fields.get(path, FieldInfo("internal", ()))
        from .contracts import most_sensitive

        return Resource(
            kind="field",
            urn=entity.urn,
            type=entity.type,
            domain=entity.domain,
            source=entity.source,
            classification=most_sensitive(entity.classification, info.classification),
            tags=entity.tags + tuple(f"PII.{c}" for c in info.categories),
            owners=entity.owners,
            field=path,
            pii=info.categories,
        )
    raise ValidationError(
        "resource is <urn>, <urn>#<field>, domain:<name>, schema:<subject>, lineage:<urn> or governance.",
        fields={"resource": "unknown form"},
    )


def explain(access: Access, action: str, resource: Resource, *, reveal: bool = True) -> dict:
    """``reveal``: show the resource's attributes (not to a caller who may not read it)."""
    actor = access.actor
    decision = access.decide(action, resource, record=False)
    weighed = []
    for policy in access.policies.policies:
        applies = policy.applies(action, resource.kind)
        actor_ok = policy.actor_matches(actor, resource)
        condition = None
        if applies and actor_ok and policy.tree is not None:
            try:
                condition = expressions.evaluate(policy.tree, actor=actor, resource=resource)
            except Exception:  # a stored condition that no longer compiles: engine treats it as documented
                condition = None
        weighed.append(
            {
                "name": policy.name,
                "effect": policy.effect,
                "applies_to_action_and_resource": applies,
                "actor_matches": actor_ok,
                "condition_holds": condition,
                "matched": bool(applies and actor_ok and policy.matches(actor, resource)),
            }
        )
    return {
        "actor": {
            "name": actor.label,
            "groups": sorted(actor.groups),
            "roles": sorted(actor.roles),
            "superuser": actor.superuser,
            "staff": actor.staff,
        },
        "action": action,
        "resource": resource.as_dict() if reveal else {"kind": resource.kind, "urn": resource.urn},
        "decision": decision.as_dict(),
        "policies": weighed,
        "default": settings.DICTAMESH_GOVERNANCE_DEFAULT,
        "policy_version": access.policies.version,
        "resource_kinds": list(RESOURCE_KINDS),
    }


GOVERNANCE = Resource(kind="governance", urn="governance")


def explain_for(access: Access, *, action: str, resource: str, actor: str | None = None) -> dict:
    """An explanation for the caller, or (stewards only) for ``actor``; a caller who may not read the
    entity it asks about learns the decision, not the entity's attributes."""
    from .contracts import ACTIONS

    if action not in ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(ACTIONS)}.", fields={"action": "unknown"})
    target = resource_of(resource)
    steward = access.can("manage", GOVERNANCE)
    if actor and actor != access.actor.label:
        access.require("manage", GOVERNANCE)  # only stewards ask on behalf of others
        subject = _actor_of(actor)
    else:
        subject = access
    readable = target.kind not in ("entity", "field") or access.can("read", _as_entity(target))
    if not (steward or readable):  # a hidden entity and a missing one answer alike
        raise NotFound(f"No entity {target.urn}.")
    answer = explain(subject, action, target, reveal=True)
    if target.kind == "field" and action == "read_sensitive" and not _sensitive(target):
        # as masking does: a field no steward confirmed as sensitive is served in clear, whatever the policies
        answer["decision"] = Decision(
            True, action, "not_sensitive", "No confirmed classification makes this field sensitive: it is "
            "served unmasked."
        ).as_dict()  # fmt: skip
    return answer


def _sensitive(field: Resource) -> bool:
    _, fields = _entity(field.urn)
    info = fields.get(field.field)
    return info is not None and info.sensitive


def _as_entity(resource: Resource) -> Resource:
    from dataclasses import replace

    return resource if resource.kind == "entity" else replace(resource, kind="entity", field="", pii=())


def _actor_of(label: str) -> Access:
    from django.contrib.auth import get_user_model

    if label == "anonymous":
        return Access(None)
    kind, _, name = label.partition(":")
    if kind != "user" or not name:
        raise ValidationError("actor is user:<name> or anonymous.", fields={"actor": "user:<name>"})
    User = get_user_model()
    user = User.objects.filter(**{User.USERNAME_FIELD: name}).first()
    if user is None:
        raise NotFound(f"No user {name}.")
    return Access(user)
