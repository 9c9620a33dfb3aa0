"""GraphQL SDL schemas: validated and printed by graphql-core, breaking changes by find_breaking_changes."""

from __future__ import annotations

import json

import pytest

from apps.schemas import errors, services
from apps.schemas.formats import InvalidSchema, get_format
from tests.conftest import bearer

SDL = get_format("GRAPHQL")
V1 = (
    "type Query { order(id: ID!): Order }\n"
    "type Order { id: ID!  total: Float  status: Status }\n"
    "enum Status { OPEN PAID }"
)
V2 = V1.replace("status: Status }", "status: Status  note: String }").replace("PAID }", "PAID SHIPPED }")
V3 = V1.replace("total: Float  ", "").replace("order(id: ID!)", "order(id: ID!, region: String!)")


def kinds(reader: str, writer: str) -> list[str]:
    return sorted(
        p.error_type
        for p in SDL.incompatibilities(
            reader=SDL.parse(reader, []), writer=SDL.parse(writer, []), new_is_reader=True
        )
    )


def test_printed_canonically_and_breaking_changes_found():
    parsed = SDL.parse(V1, [])
    assert parsed.text.startswith("type Query {\n  order(id: ID!): Order\n}")
    assert kinds(V2, V1) == []  # a new field and a new enum value break no client
    assert kinds(V3, V1) == ["FIELD_REMOVED", "REQUIRED_ARG_ADDED"]
    assert kinds(V1, V2) == ["FIELD_REMOVED", "VALUE_REMOVED_FROM_ENUM"]


@pytest.mark.parametrize(("text", "reason"), [("type Query { a: Nope }", "Nope"), ("type Query {", "line 1")])
def test_invalid_sdl_says_why(text, reason):
    with pytest.raises(InvalidSchema, match=reason):
        SDL.parse(text, [])


@pytest.mark.django_db
def test_registered_through_dictamesh_api_with_backward_checks(client, token):
    def register(schema: str):
        response = client.post(
            "/api/v1/schemas/subjects/orders-graph/versions",
            json.dumps({"schema": schema, "schema_type": "GRAPHQL"}),
            content_type="application/json",
            **bearer(token),
        )
        return response.status_code, json.loads(response.content)

    assert register(V1)[1]["version"] == 1
    assert register(V2)[1]["version"] == 2
    status, body = register(V3)
    assert status == 409 and "FIELD_REMOVED" in body["message"] and "REQUIRED_ARG_ADDED" in body["message"]
    with pytest.raises(errors.IncompatibleSchema):
        services.register(subject="orders-graph", data=services.SchemaInput(V3, schema_type="GRAPHQL"))
