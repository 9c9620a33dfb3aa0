"""Policies, explain and field classifications through GraphQL, governed like REST."""

from __future__ import annotations

from apps.governance.tests.helpers import gql, make_world, person, urn

CREATE = """
mutation($input: PolicyInput!) {
  createAccessPolicy(input: $input) { name effect actors actions resources condition version enabled }
}
"""


def test_stewards_edit_policies_and_everyone_explains(db, client):
    make_world()
    steward = person("stella", staff=True)
    alice = person("alice", groups=["payroll"])
    policy = {
        "name": "payroll-reads-finance",
        "effect": "allow",
        "actors": ["group:payroll"],
        "actions": ["read"],
        "resources": ["entity"],
        "condition": "hasDomain('finance')",
    }
    refused = gql(client, CREATE, alice, {"input": policy})
    assert refused["data"]["createAccessPolicy"] is None
    assert refused["errors"][0]["extensions"]["code"] == "permission_denied"
    created = gql(client, CREATE, steward, {"input": policy})["data"]["createAccessPolicy"]
    assert created == {**policy, "version": 1, "enabled": True}
    bad = gql(client, CREATE, steward, {"input": {**policy, "name": "x", "condition": "hasDomain("}})
    assert (
        bad["errors"][0]["extensions"]["code"] == "invalid"
        and "condition" in bad["errors"][0]["extensions"]["fields"]
    )
    entity = gql(client, f'{{ entity(urn: "{urn("salaries")}") {{ urn }} }}', alice)["data"]["entity"]
    assert entity == {"urn": urn("salaries")}
    explained = gql(client, f'{{ explainAccess(action: "read", resource: "{urn("salaries")}") }}', alice)[
        "data"
    ]["explainAccess"]
    assert explained["decision"]["reason"] == "allowed_by_policy"
    listed = gql(client, "{ accessPolicies { name } }", steward)["data"]["accessPolicies"]
    assert [p["name"] for p in listed] == ["owners-read-their-data", "payroll-reads-finance"]
    assert (
        gql(client, "{ accessPolicies { name } }", alice)["errors"][0]["extensions"]["code"]
        == "permission_denied"
    )
    changed = gql(
        client,
        'mutation { updateAccessPolicy(name: "payroll-reads-finance", changes: {enabled: false}) { enabled version } }',
        steward,
    )["data"]["updateAccessPolicy"]
    assert changed == {"enabled": False, "version": 2}
    assert gql(client, f'{{ entity(urn: "{urn("salaries")}") {{ urn }} }}', alice)["data"]["entity"] is None
    classified = gql(
        client,
        f'mutation {{ classifyField(urn: "{urn("customers")}", path: "email", piiCategory: "email") {{ id status }} }}',
        steward,
    )["data"]["classifyField"]
    assert classified["status"] == "confirmed"
    props = gql(client, f'{{ entity(urn: "{urn("customers")}") {{ properties }} }}', alice)["data"]["entity"]
    assert props["properties"]["email"] == "j***@example.com"
    rejected = gql(
        client,
        f'mutation {{ decideFieldClassification(id: "{classified["id"]}", confirm: false) {{ status }} }}',
        steward,
    )["data"]["decideFieldClassification"]
    assert rejected == {"status": "rejected"}
    props = gql(client, f'{{ entity(urn: "{urn("customers")}") {{ properties }} }}', alice)["data"]["entity"]
    assert props["properties"]["email"] == "jane.doe@example.com"
    assert gql(client, 'mutation { deleteAccessPolicy(name: "payroll-reads-finance") { deleted } }', steward)[
        "data"
    ] == {"deleteAccessPolicy": {"deleted": True}}
