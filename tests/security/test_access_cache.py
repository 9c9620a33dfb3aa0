"""Issue 19's cached policy version and memberships keep issue 18's guarantees: a warm request asks the
database nothing about its caller's access, and a change of groups, roles or policies is in force at the
next request."""

from __future__ import annotations

import json

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.governance.tests.helpers import policy, urn
from dictamesh.auth.services import user_ensure

SALARIES = f"/api/v1/catalog/entities/{urn('salaries')}"


def test_a_warm_request_asks_nothing_about_its_callers_access(world, client):
    path = f"/api/v1/catalog/entities/{urn('open_orders')}"
    assert client.get(path, **world["alice"]).status_code == 200
    with CaptureQueriesContext(connection) as asked:
        assert client.get(path, **world["alice"]).status_code == 200
    sql = " ".join(q["sql"] for q in asked.captured_queries)
    assert "dictamesh_governance_policy_state" not in sql and "auth_user_groups" not in sql


def test_group_and_role_changes_are_in_force_at_the_next_request(world, client):
    policy(client, world["root"], name="finance-reads-payroll", effect="allow", actors=["group:finance"],
           actions=["read"], resources=["entity"], condition="hasDomain('finance')")  # fmt: skip
    assert client.get(SALARIES, **world["alice"]).status_code == 404  # cached: alice in no group
    alice, finance = user_ensure(username="alice"), Group.objects.get_or_create(name="finance")[0]
    alice.groups.add(finance)
    assert client.get(SALARIES, **world["alice"]).status_code == 200
    finance.user_set.remove(alice)  # from the group's side
    assert client.get(SALARIES, **world["alice"]).status_code == 404
    body = {"name": "payroll-readers", "users": ["alice"]}
    response = client.post("/api/v1/governance/roles", json.dumps(body), content_type="application/json",
                           **world["root"])  # fmt: skip
    assert response.status_code == 201, response.content
    policy(client, world["root"], name="role-reads-payroll", effect="allow", actors=["role:payroll-readers"],
           actions=["read"], resources=["entity"])  # fmt: skip
    assert client.get(SALARIES, **world["alice"]).status_code == 200
    response = client.delete("/api/v1/governance/roles/payroll-readers", **world["root"])
    assert response.status_code in (200, 204), response.content
    assert client.get(SALARIES, **world["alice"]).status_code == 404
