"""Hole 5: Apollo Federation's ``_entities`` is bounded: representations count in the query's cost and
past DICTAMESH_GRAPHQL_MAX_REPRESENTATIONS the query is refused before any is resolved."""

from __future__ import annotations

import json

import pytest

from dictamesh.graphql.limits import query_cost

QUERY = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Entity { urn name } } }"


def _post(client, body, **headers):
    return client.post("/graphql", json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("variables", [True, False], ids=["variable", "literal"])
def test_too_many_representations_are_refused_anonymously(db, client, settings, variables):
    reps = [{"__typename": "Entity", "urn": f"dm:crm:customer:{i}"} for i in range(3000)]
    if variables:
        body = {"query": QUERY, "variables": {"r": reps}}
    else:
        literal = ", ".join(f'{{__typename: "Entity", urn: "{r["urn"]}"}}' for r in reps)
        body = {"query": "{ _entities(representations: [" + literal + "]) { ... on Entity { urn } } }"}
    response = _post(client, body)
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "too_many_representations"
    assert errors[0]["extensions"]["count"] == 3000
    assert response.json().get("data") is None


def test_representations_count_in_the_cost(db, settings):
    from graphql import parse

    from config.schema import schema

    document = parse(QUERY)
    few = query_cost(schema.graphql_schema, document, None, {"r": [{}] * 2}, costs={}, default_list=10)
    many = query_cost(schema.graphql_schema, document, None, {"r": [{}] * 150}, costs={}, default_list=10)
    assert many > few * 50


def test_a_few_representations_still_resolve(db, client):
    reps = [{"__typename": "Entity", "urn": "dm:crm:customer:1"}]
    response = _post(client, {"query": QUERY, "variables": {"r": reps}})
    assert response.status_code == 200 and response.json()["data"]["_entities"] == [None]
