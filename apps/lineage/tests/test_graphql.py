from __future__ import annotations

import pytest

from tests.conftest import bearer

from .conftest import PG

pytestmark = pytest.mark.django_db


def gql(client, query: str, variables: dict | None = None, **headers) -> dict:
    response = client.post(
        "/graphql", {"query": query, "variables": variables or {}}, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    return response.json()


LINEAGE = """
query($id: String!, $direction: Direction, $depth: Int) {
  lineage(nodeId: $id, direction: $direction, depth: $depth) {
    nodes { id type hops urn field } edges { origin destination } truncated
  }
}
"""


def test_upstream_and_downstream_of_a_dataset_an_entity_and_a_field(client, chain):
    down = gql(client, LINEAGE, {"id": f"dataset:{PG}:staged", "direction": "DOWNSTREAM", "depth": 2})[
        "data"
    ]["lineage"]
    assert [(n["id"], n["hops"]) for n in down["nodes"]] == [
        (f"dataset:{PG}:staged", 0), ("job:airflow:build", 1), ("dataset:warehouse:mart", 2)
    ]  # fmt: skip
    assert {"origin": "job:airflow:build", "destination": "dataset:warehouse:mart"} in down["edges"]
    up = gql(client, LINEAGE, {"id": f"dataset:{PG}:staged", "direction": "UPSTREAM", "depth": 5})["data"][
        "lineage"
    ]
    assert [(n["id"], n["hops"]) for n in up["nodes"]] == [
        (f"dataset:{PG}:staged", 0), ("job:airflow:load", -1), (f"dataset:{PG}:raw", -2)
    ]  # fmt: skip
    urn = up["nodes"][0]["urn"]
    by_urn = gql(client, LINEAGE, {"id": urn, "direction": "UPSTREAM"})["data"]["lineage"]
    assert [n["id"] for n in by_urn["nodes"]] == [n["id"] for n in up["nodes"]]
    field = gql(client, LINEAGE, {"id": "datasetField:warehouse:mart:total", "direction": "UPSTREAM"})["data"]
    assert [(n["id"], n["type"], n["field"]) for n in field["lineage"]["nodes"]] == [
        ("datasetField:warehouse:mart:total", "DATASET_FIELD", "total"),
        (f"datasetField:{PG}:staged:amount", "DATASET_FIELD", "amount"),
        (f"datasetField:{PG}:raw:amount", "DATASET_FIELD", "amount"),
    ]


def test_paths_impact_and_errors(client, chain):
    query = "query($a: String!, $b: String!) { lineagePath(origin: $a, destination: $b) { direction path } }"
    path = gql(client, query, {"a": f"dataset:{PG}:raw", "b": "dataset:warehouse:mart"})["data"][
        "lineagePath"
    ]
    assert path["direction"] == "downstream" and len(path["path"]) == 5
    query = """query($id: String!) { lineageImpact(nodeId: $id, depth: 4) {
               datasets { id hops path owners } jobs { id } } }"""
    answer = gql(client, query, {"id": f"dataset:{PG}:raw"})["data"]["lineageImpact"]
    assert [(d["id"], d["owners"]) for d in answer["datasets"]] == [
        (f"dataset:{PG}:staged", []), ("dataset:warehouse:mart", ["user:carol"])
    ]  # fmt: skip
    missing = gql(client, LINEAGE, {"id": "dataset:none:none"})
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    too_deep = gql(client, LINEAGE, {"id": f"dataset:{PG}:raw", "depth": 999})
    assert too_deep["errors"][0]["extensions"]["code"] == "invalid"


def test_stewards_edit_edges_through_mutations(client, token, chain):
    add = """mutation($a: String!, $b: String!) { addLineageEdge(origin: $a, destination: $b, confidence: 0.5)
             { origin destination } }"""  # fmt: skip
    variables = {"a": "job:airflow:load", "b": f"dataset:{PG}:dim"}
    anonymous = client.post(
        "/graphql", {"query": add, "variables": variables}, content_type="application/json"
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "unauthenticated"
    done = gql(client, add, variables, **bearer(token))
    assert done["data"]["addLineageEdge"] == {
        "origin": "job:airflow:load",
        "destination": f"dataset:{PG}:dim",
    }
    remove = "mutation($a: String!, $b: String!) { removeLineageEdge(origin: $a, destination: $b) { ok } }"
    assert gql(client, remove, variables, **bearer(token))["data"]["removeLineageEdge"] == {"ok": True}
