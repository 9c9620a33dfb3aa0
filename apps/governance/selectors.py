"""Reads of governance: policies, roles, and the confirmed sensitivity of entity fields."""

from __future__ import annotations

from django.db.models import Prefetch

from dictamesh.errors import NotFound

from .access import FieldInfo
from .models import FieldClassification, Policy, Role, Status


def policy_list() -> list[Policy]:
    return list(Policy.objects.order_by("name"))


def policy_get(*, name: str) -> Policy:
    policy = Policy.objects.filter(name=name).first()
    if policy is None:
        raise NotFound(f"No policy {name}.")
    return policy


def role_list() -> list[Role]:
    return list(Role.objects.prefetch_related(Prefetch("users"), Prefetch("groups")).order_by("name"))


def field_infos(*, urns: list[str]) -> dict[str, dict[str, FieldInfo]]:
    """{urn: {path: FieldInfo}} from the confirmed classifications of these entities' fields (one query).

    A field classified more than once (a detector, a steward, lineage) is as sensitive as the most
    sensitive of them, with the union of their PII categories."""
    from .contracts import most_sensitive

    found: dict[str, dict[str, tuple[str, set[str]]]] = {}
    rows = FieldClassification.objects.filter(urn__in=urns, status=Status.CONFIRMED).values_list(
        "urn", "path", "classification", "pii_category"
    )
    for urn, path, level, category in rows:
        current = found.setdefault(urn, {}).get(path)
        cats = set() if current is None else current[1]
        if category:
            cats.add(category)
        found[urn][path] = (level if current is None else most_sensitive(current[0], level), cats)
    return {
        urn: {path: FieldInfo(level, tuple(sorted(cats))) for path, (level, cats) in paths.items()}
        for urn, paths in found.items()
    }


def retention_policies() -> list:
    from .models import RetentionPolicy

    return list(RetentionPolicy.objects.order_by("name"))


def retention_policy(*, name: str):
    from .models import RetentionPolicy

    policy = RetentionPolicy.objects.filter(name=name).first()
    if policy is None:
        raise NotFound(f"No retention policy {name}.")
    return policy


def retention_runs(*, policy: str | None = None, limit: int = 50) -> list:
    from .models import RetentionRun

    runs = RetentionRun.objects.select_related("policy")
    if policy:
        runs = runs.filter(policy__name=policy)
    return list(runs.order_by("-started_at", "-id")[: max(1, min(limit, 500))])


def legal_holds() -> list:
    from .models import LegalHold

    return list(LegalHold.objects.order_by("name"))


def suggestions_waiting() -> int:
    """Field classifications a detector suggested and no steward has confirmed or rejected yet."""
    return FieldClassification.objects.filter(status=Status.SUGGESTED).count()
