"""Policies and roles through REST: who may manage them, validation, audit events, effect at the next
request (the policy version), and explain."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from apps.governance import engine
from apps.governance.tests.helpers import make_world, person, policy, urn
from dictamesh.events.models import EventLog

POLICIES = "/api/v1/governance/policies"


@pytest.fixture
def steward(db):
    return person("stella", staff=True)


@pytest.fixture
def alice(db):
    return person("alice", groups=["analysts"])


def _post(client, path, body, headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


GOOD = {
    "name": "analysts-read-finance",
    "effect": "allow",
    "actors": ["group:analysts"],
    "actions": ["read"],
    "resources": ["entity"],
    "condition": "hasDomain('finance') && !matchAnyTag('secret')",
}


def test_only_stewards_manage_policies(client, alice, steward):
    refused = _post(client, POLICIES, GOOD, alice)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert client.get(POLICIES, **alice).status_code == 403
    assert client.get(POLICIES).status_code in (401, 403)
    created = _post(client, POLICIES, GOOD, steward)
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == GOOD["name"] and body["version"] == 1 and body["updated_by"] == "user:stella"
    names = [p["name"] for p in client.get(POLICIES, **steward).json()["items"]]
    assert names == ["analysts-read-finance", "owners-read-their-data"]


def test_bad_policies_get_every_problem_at_once(client, steward):
    bad = {
        "name": "Bad Name",
        "effect": "maybe",
        "actors": ["team:x"],
        "actions": ["read", "fly"],
        "resources": [],
        "condition": "hasDomain('a') || nope()",
        "mask": "blur",
        "colour": "red",
    }
    response = _post(client, POLICIES, bad, steward)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"colour"}  # unknown fields first, nothing else is guessed
    del bad["colour"]
    fields = _post(client, POLICIES, bad, steward).json()["fields"]
    assert set(fields) == {"name", "effect", "actors", "actions", "resources", "condition", "mask"}
    assert "Unknown function nope()" in fields["condition"] and "at character 19" in fields["condition"]
    assert _post(client, POLICIES, {"name": "x"}, steward).json()["fields"] == {
        "effect": "required",
        "actors": "required",
        "actions": "required",
        "resources": "required",
    }
    assert client.post(POLICIES, "{", content_type="application/json", **steward).status_code == 400
    _post(client, POLICIES, GOOD, steward)
    assert _post(client, POLICIES, GOOD, steward).status_code == 409


def test_changes_are_events_and_bump_the_version(client, steward):
    def version():
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM dictamesh_governance_policy_state")
            return cursor.fetchone()[0]

    start = version()
    _post(client, POLICIES, GOOD, steward)
    after_create = version()
    changed = client.patch(
        f"{POLICIES}/{GOOD['name']}",
        json.dumps({"enabled": False}),
        content_type="application/json",
        **steward,
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2 and not changed.json()["enabled"]
    after_update = version()
    assert client.delete(f"{POLICIES}/{GOOD['name']}", **steward).json() == {
        "name": GOOD["name"],
        "deleted": True,
    }
    assert start < after_create < after_update < version()
    assert client.get(f"{POLICIES}/{GOOD['name']}", **steward).status_code == 404
    types = list(
        EventLog.objects.filter(subject=f"policy:{GOOD['name']}")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == [
        "dictamesh.governance.policy.created",
        "dictamesh.governance.policy.updated",
        "dictamesh.governance.policy.deleted",
    ]
    updated = EventLog.objects.get(type="dictamesh.governance.policy.updated")
    assert updated.before["enabled"] is True and updated.after["enabled"] is False
    assert updated.actor == "user:stella"


def test_a_policy_change_is_in_force_at_the_next_request_even_in_a_stale_process(db, client, alice, steward):
    make_world()
    salaries = f"/api/v1/catalog/entities/{urn('salaries')}"
    assert client.get(salaries, **alice).status_code == 404
    stale = engine._current  # what this process compiled
    policy(client, steward, **{**GOOD, "condition": "hasDomain('finance')"})
    assert client.get(salaries, **alice).status_code == 200
    # another process still holding the old set reloads it at its next request: the version moved
    engine._current = stale
    assert client.get(salaries, **alice).status_code == 200
    client.patch(
        f"{POLICIES}/{GOOD['name']}",
        json.dumps({"enabled": False}),
        content_type="application/json",
        **steward,
    )
    assert client.get(salaries, **alice).status_code == 404


def test_roles_grant_through_users_and_groups(db, client, steward):
    make_world()
    bob = person("bob")
    carol = person("carol", groups=["auditors"])
    salaries = f"/api/v1/catalog/entities/{urn('salaries')}"
    policy(
        client,
        steward,
        name="payroll-role",
        effect="allow",
        actors=["role:payroll"],
        actions=["read"],
        resources=["entity"],
    )
    assert client.get(salaries, **bob).status_code == 404
    role = _post(
        client,
        "/api/v1/governance/roles",
        {"name": "payroll", "users": ["bob"], "groups": ["auditors"]},
        steward,
    )
    assert role.status_code == 201 and role.json() == {
        "name": "payroll",
        "description": "",
        "users": ["bob"],
        "groups": ["auditors"],
    }
    assert client.get(salaries, **bob).status_code == 200
    assert client.get(salaries, **carol).status_code == 200
    replaced = client.put(
        "/api/v1/governance/roles/payroll",
        json.dumps({"users": []}),
        content_type="application/json",
        **steward,
    )
    assert replaced.json()["users"] == [] and replaced.json()["groups"] == ["auditors"]
    assert client.get(salaries, **bob).status_code == 404
    unknown = _post(client, "/api/v1/governance/roles", {"name": "x", "users": ["nobody"]}, steward)
    assert unknown.status_code == 400 and unknown.json()["fields"] == {"users": "unknown user 'nobody'"}


def test_explain_says_which_policies_decided_and_why(db, client, alice, steward):
    make_world()
    _post(client, POLICIES, GOOD, steward)
    policy(
        client,
        steward,
        name="no-contractors",
        effect="deny",
        actors=["group:contractors"],
        actions=["*"],
        resources=["*"],
    )
    explained = client.get(
        "/api/v1/governance/explain", {"action": "read", "resource": urn("salaries")}, **alice
    ).json()
    assert explained["decision"] == {
        "allowed": True,
        "action": "read",
        "reason": "allowed_by_policy",
        "message": "Allowed by policy analysts-read-finance.",
        "policies": [{"name": "analysts-read-finance", "effect": "allow"}],
    }
    weighed = {p["name"]: p for p in explained["policies"]}
    assert weighed["no-contractors"]["actor_matches"] is False
    assert weighed["owners-read-their-data"]["actor_matches"] is False
    assert weighed["analysts-read-finance"]["condition_holds"] is True
    assert explained["actor"] == {
        "name": "user:alice",
        "groups": ["analysts"],
        "roles": [],
        "superuser": False,
        "staff": False,
    }
    assert explained["resource"]["classification"] == "restricted"
    # only stewards ask for somebody else
    other = {"action": "read", "resource": urn("salaries"), "actor": "user:stella"}
    assert client.get("/api/v1/governance/explain", other, **alice).status_code == 403
    stella = client.get("/api/v1/governance/explain", other, **steward).json()
    assert stella["decision"]["allowed"] is False and stella["decision"]["reason"] == "restricted_by_default"
    # a caller who may not read the entity learns nothing of it: a hidden entity and a missing one answer alike
    bob = person("bob")
    hidden = client.get("/api/v1/governance/explain", {"action": "read", "resource": urn("salaries")}, **bob)
    assert hidden.status_code == 404 and hidden.json()["message"] == f"No entity {urn('salaries')}."
    field = client.get(
        "/api/v1/governance/explain",
        {"action": "read_sensitive", "resource": urn("customers") + "#email"},
        **alice,
    ).json()
    # no steward confirmed email as sensitive: it is served in clear, and explain says so (as masking does)
    assert field["resource"]["kind"] == "field" and field["decision"]["reason"] == "not_sensitive"
    for bad in ({"action": "fly", "resource": "governance"}, {"action": "read", "resource": "what:ever"}):
        response = client.get("/api/v1/governance/explain", bad, **alice)
        assert response.status_code == 400 and response.json()["fields"]
    assert (
        client.get(
            "/api/v1/governance/explain", {"action": "read", "resource": "dm:crm:table:nope"}, **alice
        ).status_code
        == 404
    )
