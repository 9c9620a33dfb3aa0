"""Retention: a dry run reports first; enforced, old entities are deleted or anonymized through the catalog
(versioned, audited); legal holds keep what they cover."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.catalog.models import Entity
from apps.governance import tasks
from apps.governance.tests.helpers import EMAIL, make_world, person, urn
from dictamesh.events.models import EventLog

BASE = "/api/v1/governance"


def _post(client, path, body, headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def old_world(db, client):
    make_world()
    Entity.objects.update(updated_at=timezone.now() - timedelta(days=400))
    steward = person("stella", staff=True)
    body = {"urn": urn("customers"), "path": "email", "pii_category": "email"}
    assert _post(client, f"{BASE}/fields", body, steward).status_code == 201
    Entity.objects.update(updated_at=timezone.now() - timedelta(days=400))
    return steward


def test_dry_run_first_then_enforced_deletion_with_a_legal_hold(old_world, client):
    steward = old_world
    policy = {"name": "sales-1y", "domain": "sales", "keep_days": 365, "action": "delete"}
    created = _post(client, f"{BASE}/retention/policies", policy, steward)
    assert created.status_code == 201 and created.json()["enforce"] is False
    report = client.post(f"{BASE}/retention/policies/sales-1y/run", **steward).json()
    assert report["dry_run"] is True and report["candidates"] == 2 and report["applied"] == 0
    assert {i["outcome"] for i in report["items"]} == {"would_delete"}
    assert Entity.objects.filter(deleted_at__isnull=True).count() == 3
    hold = {"name": "case-42", "reason": "litigation 42", "urn_pattern": "dm:crm:table:open_*"}
    assert _post(client, f"{BASE}/legal-holds", hold, steward).status_code == 201
    client.patch(
        f"{BASE}/retention/policies/sales-1y",
        json.dumps({"enforce": True}),
        content_type="application/json",
        **steward,
    )
    assert tasks.retention() == 1
    assert set(Entity.objects.filter(deleted_at__isnull=True).values_list("urn", flat=True)) == {
        urn("open_orders"),
        urn("salaries"),
    }
    deleted = EventLog.objects.get(type="dictamesh.catalog.entity.deleted", subject=urn("customers"))
    assert deleted.actor == "retention:sales-1y"
    runs = client.get(f"{BASE}/retention/runs", **steward).json()["items"]
    assert runs[0]["held"] == 1 and runs[0]["applied"] == 1
    assert {i["urn"]: i["outcome"] for i in runs[0]["items"]}[urn("open_orders")] == "held:case-42"
    assert EventLog.objects.filter(type="dictamesh.governance.retention.ran").count() == 2
    client.post(f"{BASE}/legal-holds/case-42/release", **steward)
    tasks.retention()
    assert not Entity.objects.filter(urn=urn("open_orders"), deleted_at__isnull=True).exists()


def test_anonymization_replaces_sensitive_values_with_hashes(old_world, client):
    steward = old_world
    policy = {
        "name": "anon",
        "classification": "confidential",
        "keep_days": 30,
        "action": "anonymize",
        "enforce": True,
    }
    assert _post(client, f"{BASE}/retention/policies", policy, steward).status_code == 201
    report = client.post(f"{BASE}/retention/policies/anon/run?dry_run=false", **steward).json()
    assert report["applied"] == 1
    properties = Entity.objects.get(urn=urn("customers")).properties
    assert properties["email"].startswith("hash:") and EMAIL not in json.dumps(properties)
    assert properties["segment"] == "retail"  # not sensitive: kept
    version = EventLog.objects.filter(
        type="dictamesh.catalog.entity.updated", subject=urn("customers")
    ).last()
    assert version.actor == "retention:anon" and version.before["properties"]["email"] == EMAIL


def test_policies_must_select_something_and_be_valid(db, client):
    steward = person("stella", staff=True)
    nothing = _post(
        client, f"{BASE}/retention/policies", {"name": "all", "keep_days": 1, "action": "delete"}, steward
    )
    assert nothing.status_code == 400 and "domain" in nothing.json()["fields"]
    bad = _post(
        client,
        f"{BASE}/retention/policies",
        {"name": "X", "keep_days": 0, "action": "burn", "domain": "d"},
        steward,
    )
    assert set(bad.json()["fields"]) == {"name", "keep_days", "action"}
    assert _post(client, f"{BASE}/legal-holds", {"name": "h", "reason": "r"}, steward).status_code == 400
    assert (
        _post(
            client,
            f"{BASE}/retention/policies",
            {"name": "x", "keep_days": 1, "action": "delete", "domain": "d"},
            person("alice"),
        ).status_code
        == 403
    )


def test_the_admin_dry_runs_a_policy(old_world, client):
    from apps.governance.models import RetentionPolicy, RetentionRun
    from dictamesh.auth.services import user_ensure

    policy = RetentionPolicy.objects.create(
        name="p", domain="sales", keep_days=30, action="delete", enforce=True
    )
    client.force_login(user_ensure(username="root", superuser=True))
    response = client.post("/admin/governance/retentionpolicy/", {"action": "dry_run", "_selected_action": [policy.pk]},
                           follow=True)  # fmt: skip
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["p: 2 candidates, 0 held by legal holds."], messages
    run = RetentionRun.objects.get(policy=policy)
    assert run.dry_run and run.applied == 0 and Entity.objects.filter(deleted_at__isnull=True).count() == 3
