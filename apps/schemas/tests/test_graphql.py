"""The registry in GraphQL: subjects with versions, compatibility checks, registration."""

from __future__ import annotations

import json

import pytest

from apps.schemas.tests.conftest import field, record
from tests.conftest import bearer

pytestmark = pytest.mark.django_db
V1 = record("Order", field("id", "long"))
BAD = record("Order", field("id", "long"), field("total", "double"))
REGISTER = """mutation($s: String!, $schema: String!) {
  registerSchema(subject: $s, input: {schema: $schema}) { subject version id schemaType }
}"""


def gql(client, query: str, variables: dict | None = None, **headers) -> dict:
    response = client.post(
        "/graphql", {"query": query, "variables": variables or {}}, content_type="application/json", **headers
    )
    return json.loads(response.content)


def test_register_query_and_check(client, token):
    done = gql(client, REGISTER, {"s": "orders-value", "schema": V1}, **bearer(token))
    assert done["data"]["registerSchema"] == {
        "subject": "orders-value",
        "version": 1,
        "id": 1,
        "schemaType": "AVRO",
    }
    data = gql(
        client,
        '{ schemaSubjects schemaSubject(name: "orders-value") { compatibility mode versions { version id schema } } }',
    )["data"]
    assert data["schemaSubjects"] == ["orders-value"]
    assert data["schemaSubject"]["compatibility"] == "BACKWARD"
    assert [v["version"] for v in data["schemaSubject"]["versions"]] == [1]
    check = gql(
        client,
        'query($schema: String!) { checkSchemaCompatibility(subject: "orders-value", input: {schema: $schema})'
        " { compatible messages } }",
        {"schema": BAD},
    )["data"]["checkSchemaCompatibility"]
    assert check["compatible"] is False and any("'total'" in m for m in check["messages"])

    rejected = gql(client, REGISTER, {"s": "orders-value", "schema": BAD}, **bearer(token))
    assert rejected["errors"][0]["extensions"]["code"] == "incompatible_schema"
    anonymous = gql(client, REGISTER, {"s": "orders-value", "schema": V1})
    assert anonymous["errors"][0]["extensions"]["code"] == "unauthenticated"
    missing = gql(client, '{ schemaSubject(name: "nothing") { subject } }')
    assert missing["errors"][0]["extensions"]["code"] == "subject_not_found"


def test_a_subjects_versions_take_a_constant_number_of_queries(client, token, django_assert_max_num_queries):
    from apps.schemas import services

    for n in range(6):
        fields = [{"name": "id", "type": "long"}] + [
            {"name": f"f{i}", "type": "string", "default": ""} for i in range(n)
        ]
        services.register(
            subject="wide",
            data=services.SchemaInput(json.dumps({"type": "record", "name": "W", "fields": fields})),
        )
    query = '{ schemaSubject(name: "wide") { versions { version schema migrations } } }'
    with django_assert_max_num_queries(10):  # not one per version (2 are governance: policy version, links)
        data = gql(client, query)["data"]
    assert [v["version"] for v in data["schemaSubject"]["versions"]] == [1, 2, 3, 4, 5, 6]
